from tests.integration.demo import grid_point


async def test_report_and_read_back(api) -> None:
    r = await api.post(
        "grid001",
        "/events",
        {
            "category_code": "garbage_exposed",
            "description": "路边垃圾",
            "location": {**grid_point(1), "address": "珞喻路"},
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "reported"
    r2 = await api.get("grid001", f"/events/{body['id']}")
    assert r2.status_code == 200
    assert r2.json()["timeline"][0]["seq"] == 1
