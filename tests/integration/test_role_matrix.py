"""Who may do what, in every status: the role × action matrix, written out by hand."""

from __future__ import annotations

import pytest

from tests.integration.flows import drive_to

OPEN_DISPATCHER = {"cancel", "supervise", "comment"}
STREET = OPEN_DISPATCHER | {"escalate"}

# status -> user -> allowed_actions (None: the event is invisible to that user: 404)
MATRIX: dict[str, dict[str, set[str] | None]] = {
    "reported": {
        "grid001": {"comment"},
        "street01a": STREET | {"accept", "reject", "merge"},
        "district01": OPEN_DISPATCHER | {"accept", "reject", "merge"},
        "leader01": {"supervise"},
        "admin": set(),
        "dept01a": None,
        "street02a": None,
        "grid002": None,
    },
    "registered": {
        "grid001": {"comment"},
        "street01a": STREET | {"dispatch", "merge"},
        "district01": OPEN_DISPATCHER | {"dispatch", "merge"},
        "leader01": {"supervise"},
        "dept01a": None,
        "street02a": None,
    },
    "dispatched": {
        "grid001": {"comment"},
        "street01a": STREET,
        "district01": OPEN_DISPATCHER,
        "leader01": {"supervise"},
        "dept01a": {"start", "return", "request_extension", "comment"},
        "dept02a": None,
        "street02a": None,
    },
    "handling": {
        "grid001": {"comment"},
        "street01a": STREET,
        "district01": OPEN_DISPATCHER,
        "dept01a": {"return", "report", "request_extension", "comment"},
        "dept02a": None,
    },
    "handled": {
        "grid001": {"verify", "comment"},
        "street01a": STREET | {"verify"},
        "district01": OPEN_DISPATCHER | {"verify"},
        "dept01a": {"comment"},
        "leader01": {"supervise"},
    },
    "verified": {
        "grid001": {"comment"},
        "street01a": STREET | {"close"},
        "district01": OPEN_DISPATCHER | {"close"},
        "dept01a": {"comment"},
    },
    "closed": {
        "grid001": {"visit", "comment"},
        "street01a": {"visit", "reopen", "comment"},
        "district01": {"visit", "reopen", "comment"},
        "dept01a": {"comment"},
        "leader01": set(),
        "admin": set(),
        "street02a": None,
    },
    "rejected": {
        "grid001": {"comment"},
        "street01a": {"comment"},
        "leader01": set(),
    },
    "cancelled": {"grid001": {"comment"}, "district01": {"comment"}},
}


@pytest.mark.parametrize("status", list(MATRIX))
async def test_allowed_actions_per_role(api, status: str) -> None:
    event = await drive_to(api, status)
    for user, expected in MATRIX[status].items():
        r = await api.get(user, f"/events/{event['id']}")
        if expected is None:
            assert r.status_code == 404, (user, r.text)
            continue
        assert r.status_code == 200, (user, r.text)
        assert set(r.json()["allowed_actions"]) == expected, (status, user)
