"""Open311 GeoReport v2 at /open311/v2, checked field by field against the specification
(http://wiki.open311.org/GeoReport_v2):

- GET services: ``service_code``, ``service_name``, ``description``, ``metadata`` (true/false:
  whether a definition with attributes exists), ``type`` (realtime, batch, blackbox),
  ``keywords`` (comma separated), ``group``.
- GET service definition: ``service_code``, ``attributes`` (may be empty).
- POST service request: ``jurisdiction_id``, ``service_code`` (required), location as
  ``lat`` + ``long`` or ``address_string`` or ``address_id``, ``email``, ``device_id``,
  ``account_id``, ``first_name``, ``last_name``, ``phone``, ``description`` (max 4000),
  ``media_url``; ``api_key`` required. Response: ``service_request_id`` or ``token``,
  ``service_notice``, ``account_id``.
- GET service requests: ``service_request_id``, ``status`` (open, closed), ``status_notes``,
  ``service_name``, ``service_code``, ``description``, ``agency_responsible``,
  ``service_notice``, ``requested_datetime``, ``updated_datetime``, ``expected_datetime``,
  ``address``, ``address_id``, ``zipcode``, ``lat``, ``long``, ``media_url``. Filters:
  ``service_request_id`` (comma list; overrides the others), ``service_code``,
  ``start_date``, ``end_date``, ``status``; default the last 90 days, at most 1000.
- GET request id from a token: ``token``, ``service_request_id``.
- Errors: a list of ``{"code", "description"}`` (XML ``<errors><error><code>``...).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.integration.demo import grid_point
from tests.integration.flows import drive_to, report

BASE = "/open311/v2"
SPEC_REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def parse_xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - our own server's answer, in a test


async def issue_key(api: Any) -> str:
    r = await api.post("admin", "/open311/keys", {"name": "12345 市民热线"})
    assert r.status_code == 201, r.text
    return r.json()["api_key"]  # type: ignore[no-any-return]


async def test_services_json_and_xml(api: Any, client: Any) -> None:
    cats = (await api.get("grid001", "/categories")).json()["items"]
    r = await client.get(f"{BASE}/services.json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    services = r.json()
    assert [s["service_code"] for s in services] == [c["code"] for c in cats]
    first, cat = services[0], cats[0]
    assert first == {
        "service_code": cat["code"],
        "service_name": cat["name"],
        "description": f"{cat['group']}：{cat['name']}",
        "metadata": False,
        "type": "realtime",
        "keywords": f"{cat['group']},{cat['name']}",
        "group": cat["group"],
    }
    x = await client.get(f"{BASE}/services.xml?jurisdiction_id=wuhan.gov.cn/hongshan")
    assert x.headers["content-type"].startswith("text/xml")
    root = parse_xml(x.content)
    assert root.tag == "services" and len(root) == len(cats)
    assert {c.tag: c.text for c in root[0]} == {
        k: ("false" if v is False else v) for k, v in first.items()
    }
    d = await client.get(f"{BASE}/services/{cat['code']}.json")
    assert d.json() == {"service_code": cat["code"], "attributes": []}
    dx = parse_xml((await client.get(f"{BASE}/services/{cat['code']}.xml")).content)
    assert (dx.tag, dx.findtext("service_code"), len(dx.find("attributes"))) == (
        "service_definition",
        cat["code"],
        0,
    )
    missing = await client.get(f"{BASE}/services/nope.json")
    assert (missing.status_code, missing.json()) == (
        404,
        [{"code": 404, "description": "service_code 'nope' not found"}],
    )
    other = await client.get(f"{BASE}/services.xml?jurisdiction_id=example.org")
    err = parse_xml(other.content)
    assert (other.status_code, err.tag, err.findtext("error/code")) == (404, "errors", "404")


async def test_post_a_request_then_read_it_back(api: Any, client: Any, clock: Any) -> None:
    key = await issue_key(api)
    at = grid_point(1)
    form = {
        "api_key": key,
        "jurisdiction_id": "wuhan.gov.cn/hongshan",
        "service_code": "garbage_exposed",
        "lat": str(at["lat"]),
        "long": str(at["lng"]),
        "address_string": "洪山区珞喻路 <1号> & 2号",
        "description": "路边垃圾堆放 <已多日>",
        "media_url": "https://example.org/p/1.jpg",
        "email": "citizen@example.org",
        "first_name": "小明",
    }
    r = await client.post(f"{BASE}/requests.json", data=form)
    assert r.status_code == 201, r.text
    (created,) = r.json()
    assert set(created) == {"service_request_id", "token", "service_notice", "account_id"}
    case_no = created["service_request_id"]
    assert case_no.startswith("HS") and len(case_no) == 16

    t = await client.get(f"{BASE}/tokens/{created['token']}.json")
    assert t.json() == [{"service_request_id": case_no, "token": created["token"]}]

    got = (await client.get(f"{BASE}/requests/{case_no}.json")).json()
    assert list(got[0]) == SPEC_REQUEST_FIELDS
    now_local = clock.now.astimezone(ZoneInfo("Asia/Shanghai"))
    assert got[0] == {
        "service_request_id": case_no,
        "status": "open",
        "status_notes": None,
        "service_name": "暴露垃圾",
        "service_code": "garbage_exposed",
        "description": "路边垃圾堆放 <已多日>",
        "agency_responsible": None,
        "service_notice": None,
        "requested_datetime": now_local.isoformat(timespec="seconds"),
        "updated_datetime": now_local.isoformat(timespec="seconds"),
        "expected_datetime": None,
        "address": "洪山区珞喻路 <1号> & 2号",
        "address_id": None,
        "zipcode": None,
        "lat": at["lat"],
        "long": at["lng"],
        "media_url": "https://example.org/p/1.jpg",
    }
    # The event is an ordinary one to the app, with its source.
    event = (await api.get("district01", f"/events?q={case_no}")).json()["items"][0]
    assert (event["source"], event["reporter"]["display_name"]) == ("open311", "Open311 接口")

    x = await client.get(f"{BASE}/requests/{case_no}.xml")
    root = parse_xml(x.content)  # escaped properly, or this would not parse
    assert (root.tag, root[0].tag) == ("service_requests", "request")
    assert root.findtext("request/address") == "洪山区珞喻路 <1号> & 2号"
    assert root.findtext("request/status") == "open"
    assert b"&lt;1" in x.content

    # The login of the system reporter does not work.
    login = await client.post(
        "/api/v1/auth/login", json={"username": "open311", "password": "chengyun-demo"}
    )
    assert login.status_code == 401


async def test_post_needs_a_valid_key_and_fields(api: Any, client: Any) -> None:
    key = await issue_key(api)
    at = grid_point(1)
    base = {"service_code": "garbage_exposed", "lat": str(at["lat"]), "long": str(at["lng"])}
    cases = [
        ({**base}, 403, "api_key is required to submit a service request"),
        ({**base, "api_key": "wrong"}, 403, "api_key is not valid"),
        ({**base, "api_key": key, "service_code": "nope"}, 400, "service_code 'nope' not found"),
        (
            {"api_key": key, "service_code": "garbage_exposed", "address_string": "珞喻路"},
            400,
            "lat and long are required (address_string alone cannot be located here)",
        ),
        ({**base, "api_key": key, "lat": "abc"}, 400, "lat must be a number"),
        (
            {**base, "api_key": key, "jurisdiction_id": "x"},
            404,
            "jurisdiction_id 'x' is not served here",
        ),
        ({**base, "api_key": key, "lat": "30.0", "long": "114.0"}, 400, None),
    ]
    for form, status, description in cases:
        r = await client.post(f"{BASE}/requests.json", data=form)
        assert r.status_code == status, (form, r.text)
        (err,) = r.json()
        assert err["code"] == status
        if description:
            assert err["description"] == description
    xr = await client.post(f"{BASE}/requests.xml", data=base)
    assert parse_xml(xr.content).findtext("error/description") == (
        "api_key is required to submit a service request"
    )
    assert (await api.post("district01", "/open311/keys", {"name": "x"})).status_code == 403
    keys = (await api.get("admin", "/open311/keys")).json()
    assert [k["name"] for k in keys] == ["12345 市民热线"] and "api_key" not in keys[0]
    r = await api.post("admin", f"/open311/keys/{keys[0]['id']}/revoke")
    assert r.status_code == 200
    r = await client.post(f"{BASE}/requests.json", data={**base, "api_key": key})
    assert r.json() == [{"code": 403, "description": "api_key is not valid"}]


async def test_request_filters(api: Any, client: Any, clock: Any) -> None:
    closed = await drive_to(api, "closed")
    dispatched = await drive_to(api, "dispatched")
    other = await report(api, category="garbage_exposed", grid=1)
    clock.advance(days=100)
    old_window = await client.get(f"{BASE}/requests.json")
    assert old_window.json() == []  # default: the last 90 days
    clock.advance(days=-100)

    def ids(r: Any) -> list[str]:
        return [x["service_request_id"] for x in r.json()]

    everything = await client.get(f"{BASE}/requests.json")
    assert ids(everything) == [other["case_no"], dispatched["case_no"], closed["case_no"]]
    by_id = {x["service_request_id"]: x for x in everything.json()}
    assert (by_id[closed["case_no"]]["status"], by_id[closed["case_no"]]["status_notes"]) == (
        "closed",
        "已办结",
    )
    assert by_id[dispatched["case_no"]]["agency_responsible"] == "区城管执法局"
    assert by_id[dispatched["case_no"]]["expected_datetime"] is not None
    r = await client.get(f"{BASE}/requests.json?status=closed")
    assert ids(r) == [closed["case_no"]]
    r = await client.get(f"{BASE}/requests.json?status=open&service_code=garbage_exposed")
    assert ids(r) == [other["case_no"], dispatched["case_no"]]
    r = await client.get(
        f"{BASE}/requests.json?service_request_id={closed['case_no']},{other['case_no']}&status=open"
    )
    assert sorted(ids(r)) == sorted([closed["case_no"], other["case_no"]])
    later = (clock.now + timedelta(hours=1)).isoformat()
    r = await client.get(f"{BASE}/requests.json", params={"start_date": later})
    assert r.json() == []
    bad = await client.get(f"{BASE}/requests.json?status=pending")
    assert bad.json() == [{"code": 400, "description": "status is open or closed"}]
    assert (await client.get(f"{BASE}/requests/HS000.json")).status_code == 404
