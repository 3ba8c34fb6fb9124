"""Assessment arithmetic: month boundaries in Asia/Shanghai, the score, tied ranks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.errors import ProblemError
from backend.stats.assessment import month_window, rank_rows, score_of
from backend.stats.export import safe_cell
from schemas.stats import AssessmentRow


def test_month_boundaries_are_shanghai_midnights() -> None:
    label, w = month_window("2026-03", datetime(2026, 1, 1, tzinfo=UTC))
    assert label == "2026-03"
    assert (w.start, w.end) == (
        datetime(2026, 2, 28, 16, tzinfo=UTC),
        datetime(2026, 3, 31, 16, tzinfo=UTC),
    )
    _, dec = month_window("2026-12", datetime(2026, 1, 1, tzinfo=UTC))
    assert dec.end == datetime(2026, 12, 31, 16, tzinfo=UTC)
    # No month given: the Shanghai month of "now" (UTC 2026-03-31 17:00 is April 1st there).
    assert month_window(None, datetime(2026, 3, 31, 17, tzinfo=UTC))[0] == "2026-04"
    for bad in ("2026-00", "2026-1", "202603", "2026-03-01"):
        with pytest.raises(ProblemError):
            month_window(bad, datetime(2026, 1, 1, tzinfo=UTC))


def test_score_leaves_out_undefined_terms_and_rescales() -> None:
    assert score_of(1.0, 0.0, 0.0, 5.0) == 100.0
    assert score_of(0.5, 0.0, 1 / 3, 4.0) == 69.33
    assert score_of(None, 0.5, None, None) == 50.0  # only the return term: 10 of 20
    assert score_of(0.0, 1.0, 1.0, 1.0) == 4.0  # 20*1/5 of 100


def _row(org: str, score: float, received: int) -> AssessmentRow:
    return AssessmentRow(
        org_id=org,
        org_name=org,
        org_type="department",
        received=received,
        returned=0,
        handled_with_due=0,
        on_time=0,
        on_time_rate=None,
        return_rate=0.0,
        reports=0,
        failed_verifications=0,
        rework_rate=None,
        visits=0,
        satisfaction_avg=None,
        score=score,
        rank=0,
    )


def test_ties_share_a_rank_and_the_next_rank_skips() -> None:
    rows = [_row("c", 80.0, 1), _row("a", 90.0, 2), _row("b", 90.0, 5), _row("d", 70.0, 9)]
    rank_rows(rows)
    assert [(r.org_id, r.rank) for r in rows] == [("b", 1), ("a", 1), ("c", 3), ("d", 4)]


def test_cells_that_a_spreadsheet_would_run_are_quoted() -> None:
    assert [safe_cell(v) for v in ("=1+1", "+86", "-2", "@SUM(A1)", "\tx", "正常", "", None)] == [
        "'=1+1",
        "'+86",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "正常",
        "",
        "",
    ]
