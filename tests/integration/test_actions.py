"""Every action of the table: allowed, wrong role (403), wrong status (409), stale version
(409), invisible (404); each success appends exactly one timeline row and one audit row."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from backend.db.models import AuditEntry, TimelineEntry
from tests.integration.flows import body_for, drive_to

# action -> (a status it is allowed in, who may, expected new status,
#            someone who sees the event but may not, a status where it is not allowed)
CASES: dict[str, tuple[str, str, str, str, str]] = {
    "accept": ("reported", "street01a", "registered", "grid001", "registered"),
    "reject": ("reported", "district01", "rejected", "leader01", "dispatched"),
    "dispatch": ("registered", "street01a", "dispatched", "grid001", "reported"),
    "start": ("dispatched", "dept01a", "handling", "street01a", "handling"),
    "return": ("handling", "dept01a", "registered", "grid001", "handled"),
    "report": ("handling", "dept01a", "handled", "district01", "dispatched"),
    "verify": ("handled", "grid001", "verified", "dept01a", "handling"),
    "close": ("verified", "street01a", "closed", "grid001", "handled"),
    "visit": ("closed", "grid001", "closed", "dept01a", "verified"),
    "reopen": ("closed", "district01", "registered", "grid001", "verified"),
    "cancel": ("handling", "street01a", "cancelled", "dept01a", "closed"),
    "merge": ("registered", "street01a", "merged", "grid001", "dispatched"),
    "request_extension": ("dispatched", "dept01a", "dispatched", "street01a", "handled"),
    "supervise": ("dispatched", "leader01", "dispatched", "grid001", "closed"),
    "escalate": ("reported", "street01a", "reported", "district01", "closed"),
    "comment": ("closed", "dept01a", "closed", "leader01", "closed"),
}


async def _body(api: Any, user: str, action: str) -> dict[str, Any]:
    if action == "merge":
        target = await drive_to(api, "reported", grid=2)
        return {"into_event_id": target["id"]}
    return await body_for(api, user, action)


async def _counts(app: Any, event_id: str) -> tuple[int, int]:
    async with app.state["ctx"].db.sessions() as s:
        timeline = await s.scalar(
            select(func.count())
            .select_from(TimelineEntry)
            .where(TimelineEntry.event_id == event_id)
        )
        audits = await s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.target_id == event_id, AuditEntry.action.like("event.%"))
        )
    return int(timeline or 0), int(audits or 0)


@pytest.mark.parametrize("action", list(CASES))
async def test_allowed(api, app, action: str) -> None:
    status, user, to_status, _, _ = CASES[action]
    event = await drive_to(api, status)
    before = await _counts(app, event["id"])
    body = await _body(api, user, action)
    r = await api.act(user, event["id"], action, expected_version=event["version"], **body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == to_status
    assert out["version"] == event["version"] + 1
    last = out["timeline"][-1]
    assert (last["seq"], last["action"], last["from_status"], last["to_status"]) == (
        event["version"] + 1,
        action,
        status,
        to_status,
    )
    after = await _counts(app, event["id"])
    assert after == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize("action", list(CASES))
async def test_wrong_role_is_403_and_changes_nothing(api, app, action: str) -> None:
    status, _, _, outsider, _ = CASES[action]
    event = await drive_to(api, status)
    body = await _body(api, outsider, action)
    r = await api.act(outsider, event["id"], action, **body)
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "forbidden"
    again = (await api.get("district01", f"/events/{event['id']}")).json()
    assert again["version"] == event["version"]


@pytest.mark.parametrize("action", [a for a in CASES if CASES[a][0] != CASES[a][4]])
async def test_wrong_status_is_409_with_allowed_actions(api, action: str) -> None:
    _, user, _, _, wrong = CASES[action]
    event = await drive_to(api, wrong)
    body = await _body(api, user, action)
    r = await api.act(user, event["id"], action, **body)
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["code"] == "invalid_transition"
    seen = (await api.get(user, f"/events/{event['id']}")).json()
    assert problem["allowed_actions"] == seen["allowed_actions"]
    assert action not in problem["allowed_actions"]


@pytest.mark.parametrize("action", ["accept", "dispatch", "start", "report"])
async def test_stale_version_is_409(api, action: str) -> None:
    status, user, _, _, _ = CASES[action]
    event = await drive_to(api, status)
    body = await _body(api, user, action)
    # Someone else acts after our read: our copy is now stale.
    bumped = await api.act("district01", event["id"], "supervise", note="加快进度")
    assert bumped.status_code == 200
    r = await api.act(user, event["id"], action, expected_version=event["version"], **body)
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "version_conflict"
    assert r.json()["current_version"] == event["version"] + 1


@pytest.mark.parametrize("action", list(CASES))
async def test_invisible_is_404(api, action: str) -> None:
    status, _, _, _, _ = CASES[action]
    event = await drive_to(api, status)
    # street02a dispatches another street: the event must not exist for them.
    r = await api.act("street02a", event["id"], action, **await _body(api, "street02a", action))
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "not_found"


async def test_decide_extension_moves_due_and_needs_a_request(api) -> None:
    event = await drive_to(api, "dispatched")
    r = await api.act("street01a", event["id"], "decide_extension", approve=True)
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    r = await api.act("dept01a", event["id"], "request_extension", hours=7, reason="等待材料")
    assert r.status_code == 200
    assert (
        "decide_extension"
        in (await api.get("street01a", f"/events/{event['id']}")).json()["allowed_actions"]
    )
    r = await api.act("dept01a", event["id"], "request_extension", hours=2, reason="again")
    assert r.status_code == 409, "one pending request at a time"
    r = await api.act("dept01a", event["id"], "decide_extension", approve=True)
    assert r.status_code == 403
    r = await api.act("street01a", event["id"], "decide_extension", approve=True)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["due_at"] != event["due_at"]
    assert out["pending_extension"] is None
    assert out["timeline"][-1]["data"]["approve"] is True


async def test_verify_failure_sends_the_case_back_to_handling(api) -> None:
    event = await drive_to(api, "handled")
    r = await api.act("grid001", event["id"], "verify", passed=False, note="仍有垃圾")
    assert r.status_code == 200
    assert r.json()["status"] == "handling"
    assert r.json()["sla_state"] is not None


async def test_return_clears_the_assignee_and_the_department_still_sees_it(api) -> None:
    event = await drive_to(api, "handling")
    r = await api.act("dept01a", event["id"], "return", reason="不属于本部门")
    assert r.status_code == 200
    assert r.json()["assignee"] is None and r.json()["due_at"] is None
    seen = await api.get("dept01a", f"/events/{event['id']}")
    assert seen.status_code == 200
    assert seen.json()["allowed_actions"] == ["comment"]


async def test_report_needs_a_photo_where_the_category_says_so(api) -> None:
    event = await drive_to(api, "handling")
    r = await api.act("dept01a", event["id"], "report", note="已处理")
    assert r.status_code == 422 and r.json()["code"] == "photo_required"


async def test_dispatch_validates_its_target(api) -> None:
    event = await drive_to(api, "registered")
    me = (await api.get("grid001", "/me")).json()
    r = await api.act("street01a", event["id"], "dispatch", org_id=me["org"]["id"])
    assert r.status_code == 422 and r.json()["code"] == "invalid_assignee"
    r = await api.act("street01a", event["id"], "dispatch", org_id="no-such-org")
    assert r.status_code == 422
    past = "2020-01-01T00:00:00+08:00"
    from tests.integration.flows import dept_org_id

    org = await dept_org_id(api)
    r = await api.act("street01a", event["id"], "dispatch", org_id=org, due_at=past)
    assert r.status_code == 422 and r.json()["code"] == "invalid_due_at"


async def test_terminal_events_refuse_everything_but_comment(api) -> None:
    event = await drive_to(api, "rejected")
    for action in ("accept", "dispatch", "cancel", "reopen", "supervise"):
        body = await _body(api, "district01", action)
        r = await api.act("district01", event["id"], action, **body)
        assert r.status_code == 409, (action, r.text)
