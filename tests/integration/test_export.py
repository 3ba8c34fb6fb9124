"""CSV export: routing next to /events/{id}, who may export, format, filters, paging."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import unquote

import pytest

from backend.stats import export
from tests.integration.demo import first_grid_of_street
from tests.integration.flows import report


def _parse(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


async def test_export_is_a_static_route_beside_event_detail(api: Any) -> None:
    e = await report(api)
    r = await api.get("street01a", "/events/export.csv")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="events-')
    assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith("事件导出-")
    # The detail route still answers for ids; a non-dispatcher is refused by the export
    # (403), not told that an event "export.csv" does not exist (404).
    assert (await api.get("street01a", f"/events/{e['id']}")).json()["id"] == e["id"]
    for user in ("grid001", "dept01a", "leader01", "admin"):
        r = await api.get(user, "/events/export.csv")
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), user
    assert (await api.client.get("/api/v1/events/export.csv")).status_code == 401


async def test_export_rows_are_safe_filtered_and_scoped(
    api: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "CHUNK", 2)  # five rows over three pages
    made = []
    for i in range(4):
        clock.advance(seconds=1)
        made.append(await report(api, description=f'=HYPERLINK("http://x","{i}") 路面垃圾'))
    clock.advance(seconds=1)
    other = await report(api, "district01", grid=first_grid_of_street(2), description="@SUM(1)")
    r = await api.act("street01a", made[0]["id"], "accept")
    assert r.status_code == 200

    rows = _parse((await api.get("district01", "/events/export.csv")).content)
    assert rows[0] == list(export.HEADER)
    assert rows[0][:3] == ["案件编号", "状态", "类别"]
    body = rows[1:]
    # Newest first, every event once across the page seams.
    expected = [other, *reversed(made)]
    assert [row[0] for row in body] == [e["case_no"] for e in expected]
    assert body[0][5] == "'@SUM(1)"
    assert body[1][5] == '\'=HYPERLINK("http://x","3") 路面垃圾'
    assert body[1][2] == "暴露垃圾" and body[1][3] == "一般" and body[1][1] == "待受理"
    assert body[-1][1] == "已立案"

    # Same filters as GET /events; a street dispatcher exports only what they may see.
    only = _parse((await api.get("district01", "/events/export.csv?status=registered")).content)
    assert [row[0] for row in only[1:]] == [made[0]["case_no"]]
    mine = _parse((await api.get("street01a", "/events/export.csv")).content)
    assert [row[0] for row in mine[1:]] == [e["case_no"] for e in reversed(made)]
    bad = await api.get("district01", "/events/export.csv?bbox=1,2")
    assert bad.status_code == 400
