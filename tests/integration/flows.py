"""Driving events through the lifecycle over HTTP, for the lifecycle tests."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from tests.integration.demo import grid_point

__all__ = [
    "PATH_TO",
    "dept_org_id",
    "drive_to",
    "report",
    "small_jpeg",
    "upload",
]

# The shortest path of (user, action, body) from "reported" to each status, for an event
# in grid001 (street01) handled by dept01 (区城管执法局, the category's default).
PATH_TO: dict[str, list[tuple[str, str]]] = {
    "reported": [],
    "registered": [("street01a", "accept")],
    "dispatched": [("street01a", "accept"), ("street01a", "dispatch")],
    "handling": [("street01a", "accept"), ("street01a", "dispatch"), ("dept01a", "start")],
    "handled": [
        ("street01a", "accept"),
        ("street01a", "dispatch"),
        ("dept01a", "start"),
        ("dept01a", "report"),
    ],
    "verified": [
        ("street01a", "accept"),
        ("street01a", "dispatch"),
        ("dept01a", "start"),
        ("dept01a", "report"),
        ("grid001", "verify"),
    ],
    "closed": [
        ("street01a", "accept"),
        ("street01a", "dispatch"),
        ("dept01a", "start"),
        ("dept01a", "report"),
        ("grid001", "verify"),
        ("street01a", "close"),
    ],
    "rejected": [("street01a", "reject")],
    "cancelled": [("street01a", "cancel")],
}


def small_jpeg(seed: int = 0, size: tuple[int, int] = (64, 48)) -> bytes:
    im = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256))
    for x in range(0, size[0], 4):
        im.putpixel((x, (x * (seed + 3)) % size[1]), (255, 255, 255))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    return buf.getvalue()


async def upload(api: Any, username: str, seed: int = 0) -> str:
    r = await api.client.post(
        "/api/v1/media",
        files={"file": (f"p{seed}.jpg", small_jpeg(seed), "image/jpeg")},
        headers=await api.headers(username),
    )
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]  # type: ignore[no-any-return]


async def dept_org_id(api: Any, code: str = "dept-cgzf") -> str:
    r = await api.get("district01", "/orgs")
    assert r.status_code == 200

    def walk(nodes: list[dict[str, Any]]) -> str | None:
        for n in nodes:
            if n["code"] == code:
                return n["id"]  # type: ignore[no-any-return]
            found = walk(n["children"])
            if found:
                return found
        return None

    org_id = walk(r.json())
    assert org_id is not None
    return org_id


async def report(
    api: Any,
    username: str = "grid001",
    *,
    grid: int = 1,
    category: str = "garbage_exposed",
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "category_code": category,
        "description": "人行道上有暴露垃圾",
        "location": {**grid_point(grid), "address": "洪山区珞喻路"},
        **extra,
    }
    r = await api.post(username, "/events", body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def body_for(api: Any, user: str, action: str) -> dict[str, Any]:
    match action:
        case "reject" | "return" | "reopen" | "cancel" | "escalate":
            return {"reason": "测试原因"}
        case "dispatch":
            return {"org_id": await dept_org_id(api)}
        case "report":
            return {"note": "已清理", "media_ids": [await upload(api, user, 7)]}
        case "verify":
            return {"passed": True}
        case "visit":
            return {"satisfaction": 5}
        case "supervise" | "comment":
            return {"note": "请尽快处理"}
        case "request_extension":
            return {"hours": 4, "reason": "需要协调"}
        case "decide_extension":
            return {"approve": True}
        case _:
            return {}


async def drive_to(api: Any, status: str, **report_kw: Any) -> dict[str, Any]:
    event = await report(api, **report_kw)
    for user, action in PATH_TO[status]:
        r = await api.act(user, event["id"], action, **await body_for(api, user, action))
        assert r.status_code == 200, (user, action, r.text)
        event = r.json()
    assert event["status"] == status
    return event


__all__ += ["body_for"]
