"""The hotspots' and the assessment's roll-ups (PostgreSQL, revision stats_0004): their
tables, the triggers that keep them, the rebuild.

``event_spot_rollups``, for 高频 and the 多跨 count: per UTC day of ``created_at``, street,
grid and category, the events that are not merged (``n``, what the recurring spots count)
and the events that crossed orgs (``x``). Kept from the event rows by a trigger on
``events``, as ``event_day_rollups`` is (backend/stats/rollup_sql.py).

``assignment_day_rollups``, for 考核: per Asia/Shanghai day of ``assigned_at`` (the month
the assessment reads is whole Shanghai days), the event's street and the receiving org,
the assessment's per-assignment terms: received ``rv``, returned ``rt``, handled with a
due time ``hd``, on time ``ot``, satisfaction sum ``ss`` and count ``sn`` (the closing
assignment's), reports ``rp`` and failed verifications ``fv`` written while the assignment
ran. A term reads three tables (the assignment, its event, the event's timeline), so a
deferred trigger on each of them refreshes the event at commit: it computes the event's
terms from the rows as they are then, subtracts what the event contributed before (kept
per event and key in ``assignment_event_terms``, a finer roll-up) and adds the new, in both
tables, netted per key and in key order. An event whose terms did not move writes nothing.

Lock order: every roll-up upsert, of these tables and of ``event_day_rollups``, first takes
one transaction-scoped advisory lock (``ROLLUP_LOCK``), so the roll-up rows are only ever
locked by one committing writer at a time, whatever order its deferred triggers fire in
(a writer whose triggers fired the day roll-up then the assessment's could otherwise meet
one that fired them the other way round). Deferred to commit, the advisory lock is every
writer's last lock, held only through the commit's own roll-up upserts.
"""

# Every statement here is our own constant SQL text, nothing from a request.
# ruff: noqa: S608

from __future__ import annotations

import re

from backend.stats.rollup_sql import INSTALL_TRIGGER as DAY_TRIGGER

__all__ = ["CREATE_TABLES", "DROP", "INSTALL", "LOCKED_DAY_APPLY", "REBUILD", "UNLOCKED_DAY_APPLY"]

ROLLUP_LOCK = "PERFORM pg_advisory_xact_lock(4170011)"
LOCK_SQL = "SELECT pg_advisory_xact_lock(4170011)"

CREATE_TABLES = (
    """
CREATE TABLE event_spot_rollups (
    day date NOT NULL,
    street_id varchar(36) NOT NULL,
    grid_id varchar(36) NOT NULL,
    category_code varchar(64) NOT NULL,
    n integer NOT NULL DEFAULT 0,
    x integer NOT NULL DEFAULT 0,
    -- covering: a window's days are an index-only scan, district-wide or for one street
    PRIMARY KEY (day, street_id, grid_id, category_code) INCLUDE (n, x)
)
""",
    """
CREATE TABLE assignment_day_rollups (
    day date NOT NULL,
    street_id varchar(36) NOT NULL,
    org_id varchar(36) NOT NULL,
    rv bigint NOT NULL DEFAULT 0,
    rt bigint NOT NULL DEFAULT 0,
    hd bigint NOT NULL DEFAULT 0,
    ot bigint NOT NULL DEFAULT 0,
    ss bigint NOT NULL DEFAULT 0,
    sn bigint NOT NULL DEFAULT 0,
    rp bigint NOT NULL DEFAULT 0,
    fv bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, street_id, org_id)
)
""",
    """
CREATE TABLE assignment_event_terms (
    event_id varchar(36) NOT NULL,
    day date NOT NULL,
    street_id varchar(36) NOT NULL,
    org_id varchar(36) NOT NULL,
    rv bigint NOT NULL DEFAULT 0,
    rt bigint NOT NULL DEFAULT 0,
    hd bigint NOT NULL DEFAULT 0,
    ot bigint NOT NULL DEFAULT 0,
    ss bigint NOT NULL DEFAULT 0,
    sn bigint NOT NULL DEFAULT 0,
    rp bigint NOT NULL DEFAULT 0,
    fv bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, day, street_id, org_id)
)
""",
)

# One event's spot terms: the same conditions as the raw hotspots' queries.
_SPOT = """
    (r.created_at AT TIME ZONE 'UTC')::date AS d, r.street_id AS s, r.grid_id AS g,
    r.category_code AS c,
    CASE WHEN r.status <> 'merged' THEN 1 ELSE 0 END AS n,
    CASE WHEN r.cross_department THEN 1 ELSE 0 END AS x
"""


def _on(var: str) -> str:
    """The spot terms of the old (``o``) or the new (``nw``) row."""
    return re.sub(r"\br\.", f"{var}.", _SPOT)


SPOT_APPLY = f"""
CREATE FUNCTION event_spot_apply(o events, use_old boolean, nw events, use_new boolean)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    {ROLLUP_LOCK};
    INSERT INTO event_spot_rollups AS u (day, street_id, grid_id, category_code, n, x)
    SELECT d, s, g, c, sum(sg * n), sum(sg * x)
    FROM (SELECT -1 AS sg, {_on("o")} WHERE use_old
          UNION ALL
          SELECT 1 AS sg, {_on("nw")} WHERE use_new) AS z
    GROUP BY d, s, g, c
    HAVING sum(sg * n) <> 0 OR sum(sg * x) <> 0
    ORDER BY d, s, g, c
    ON CONFLICT (day, street_id, grid_id, category_code) DO UPDATE SET
        n = u.n + EXCLUDED.n, x = u.x + EXCLUDED.x;
END $$
"""

SPOT_TRIGGER = """
CREATE FUNCTION event_spot_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM event_spot_apply(NEW, false, NEW, true);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM event_spot_apply(OLD, true, OLD, false);
    ELSIF (OLD.created_at, OLD.street_id, OLD.grid_id, OLD.category_code,
           OLD.status = 'merged', OLD.cross_department)
          IS DISTINCT FROM
          (NEW.created_at, NEW.street_id, NEW.grid_id, NEW.category_code,
           NEW.status = 'merged', NEW.cross_department) THEN
        PERFORM event_spot_apply(OLD, true, NEW, true);
    END IF;
    RETURN NULL;
END $$
"""

# One assignment's terms, from the assignment ``a`` and its event ``e``; the rework counts
# are ``{rp}`` and ``{fv}`` (correlated counts for one event, a joined aggregate in the
# rebuild). The same conditions as backend/stats/assessment.py's raw queries.
_TERMS = """
    (a.assigned_at AT TIME ZONE 'Asia/Shanghai')::date AS day, e.street_id, a.org_id,
    1 AS rv,
    CASE WHEN a.end_reason = 'returned' THEN 1 ELSE 0 END AS rt,
    CASE WHEN (a.ended_at IS NULL OR a.end_reason = 'closed')
         AND e.handled_at IS NOT NULL AND e.due_at IS NOT NULL THEN 1 ELSE 0 END AS hd,
    CASE WHEN (a.ended_at IS NULL OR a.end_reason = 'closed')
         AND e.handled_at IS NOT NULL AND e.due_at IS NOT NULL
         AND e.handled_at <= e.due_at THEN 1 ELSE 0 END AS ot,
    CASE WHEN a.end_reason = 'closed' THEN coalesce(e.satisfaction, 0) ELSE 0 END AS ss,
    CASE WHEN a.end_reason = 'closed' AND e.satisfaction IS NOT NULL THEN 1 ELSE 0 END AS sn,
    {rp} AS rp, {fv} AS fv
"""
_DURING = "t.at >= a.assigned_at AND (a.ended_at IS NULL OR t.at <= a.ended_at)"
_FAILED = "t.action = 'verify' AND t.to_status = 'handling'"
_ONE_EVENT_TERMS = _TERMS.format(
    rp="(SELECT count(*) FROM event_timeline t WHERE t.event_id = a.event_id"
    f" AND t.action = 'report' AND {_DURING})",
    fv=f"(SELECT count(*) FROM event_timeline t WHERE t.event_id = a.event_id AND {_FAILED}"
    f" AND {_DURING})",
)
_SUMS = ("rv", "rt", "hd", "ot", "ss", "sn", "rp", "fv")
_SIGNED = ", ".join(f"sum(sg * {s}) AS {s}" for s in _SUMS)
_MOVED = " OR ".join(f"sum(sg * {s}) <> 0" for s in _SUMS)
_ADD = ", ".join(f"{s} = u.{s} + EXCLUDED.{s}" for s in _SUMS)
_COLS = ", ".join(_SUMS)

# The event's terms now, minus what it contributed before: the delta per key, applied to
# the per-event terms and to the day roll-up in one statement (one snapshot), key order.
ASSESS_REFRESH = f"""
CREATE FUNCTION assessment_refresh(eid varchar) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    {ROLLUP_LOCK};
    WITH delta AS (
        SELECT day, street_id, org_id, {_SIGNED}
        FROM (SELECT 1 AS sg, {_ONE_EVENT_TERMS}
              FROM event_assignments a JOIN events e ON e.id = a.event_id
              WHERE a.event_id = eid
              UNION ALL
              SELECT -1 AS sg, day, street_id, org_id, {_COLS}
              FROM assignment_event_terms WHERE event_id = eid) AS z
        GROUP BY day, street_id, org_id
        HAVING {_MOVED}
    ), per_event AS (
        INSERT INTO assignment_event_terms AS u (event_id, day, street_id, org_id, {_COLS})
        SELECT eid, day, street_id, org_id, {_COLS} FROM delta
        ORDER BY day, street_id, org_id
        ON CONFLICT (event_id, day, street_id, org_id) DO UPDATE SET {_ADD}
    )
    INSERT INTO assignment_day_rollups AS u (day, street_id, org_id, {_COLS})
    SELECT day, street_id, org_id, {_COLS} FROM delta
    ORDER BY day, street_id, org_id
    ON CONFLICT (day, street_id, org_id) DO UPDATE SET {_ADD};
    DELETE FROM assignment_event_terms WHERE event_id = eid AND rv = 0;
END $$
"""

# Which writes can move an event's terms: any assignment change; the event's street and
# the fields the terms read; a report or a verification in its timeline.
ASSESS_TRIGGERS = (
    """
CREATE FUNCTION assessment_assignment_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM assessment_refresh(OLD.event_id);
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.event_id <> OLD.event_id) THEN
        PERFORM assessment_refresh(NEW.event_id);
    END IF;
    RETURN NULL;
END $$
""",
    """
CREATE FUNCTION assessment_event_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM assessment_refresh(OLD.id);
    ELSIF (OLD.id, OLD.street_id, OLD.handled_at, OLD.due_at, OLD.satisfaction)
          IS DISTINCT FROM (NEW.id, NEW.street_id, NEW.handled_at, NEW.due_at,
                            NEW.satisfaction) THEN
        PERFORM assessment_refresh(OLD.id);
        IF NEW.id <> OLD.id THEN
            PERFORM assessment_refresh(NEW.id);
        END IF;
    END IF;
    RETURN NULL;
END $$
""",
    """
CREATE FUNCTION assessment_timeline_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.action IN ('report', 'verify') THEN
        PERFORM assessment_refresh(OLD.event_id);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.action IN ('report', 'verify') AND (TG_OP = 'INSERT'
            OR (OLD.event_id, OLD.action, OLD.at, OLD.to_status)
               IS DISTINCT FROM (NEW.event_id, NEW.action, NEW.at, NEW.to_status)) THEN
        PERFORM assessment_refresh(NEW.event_id);
    END IF;
    RETURN NULL;
END $$
""",
)

_DEFERRED = "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION"
INSTALL = (
    SPOT_APPLY,
    SPOT_TRIGGER,
    f"CREATE CONSTRAINT TRIGGER events_spot_rollup AFTER INSERT OR UPDATE OR DELETE ON events"
    f" {_DEFERRED} event_spot_trigger()",
    ASSESS_REFRESH,
    *ASSESS_TRIGGERS,
    "CREATE CONSTRAINT TRIGGER event_assignments_assessment"
    f" AFTER INSERT OR UPDATE OR DELETE ON event_assignments"
    f" {_DEFERRED} assessment_assignment_trigger()",
    "CREATE CONSTRAINT TRIGGER events_assessment AFTER UPDATE OR DELETE ON events"
    f" {_DEFERRED} assessment_event_trigger()",
    "CREATE CONSTRAINT TRIGGER event_timeline_assessment"
    f" AFTER INSERT OR UPDATE OR DELETE ON event_timeline"
    f" {_DEFERRED} assessment_timeline_trigger()",
)

# The day roll-up's upsert (revision stats_0003) takes the same advisory lock first.
UNLOCKED_DAY_APPLY = DAY_TRIGGER[0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
LOCKED_DAY_APPLY = UNLOCKED_DAY_APPLY.replace("BEGIN\n", f"BEGIN\n    {ROLLUP_LOCK};\n", 1)

# From scratch (the migration's backfill and `chengyun rebuild-rollups`).
_REWORK = f"""
    SELECT a.id,
           count(*) FILTER (WHERE t.action = 'report') AS rp,
           count(*) FILTER (WHERE {_FAILED}) AS fv
    FROM event_assignments a
    JOIN event_timeline t ON t.event_id = a.event_id AND t.action IN ('report', 'verify')
         AND {_DURING}
    GROUP BY a.id
"""
REBUILD = (
    LOCK_SQL,
    "DELETE FROM event_spot_rollups",
    f"""
INSERT INTO event_spot_rollups (day, street_id, grid_id, category_code, n, x)
SELECT d, s, g, c, sum(n), sum(x) FROM (SELECT {_SPOT} FROM events r) AS z
GROUP BY d, s, g, c
HAVING sum(n) <> 0 OR sum(x) <> 0
""",
    "DELETE FROM assignment_event_terms",
    f"""
INSERT INTO assignment_event_terms (event_id, day, street_id, org_id, {_COLS})
SELECT event_id, day, street_id, org_id, {", ".join(f"sum({s})" for s in _SUMS)}
FROM (SELECT a.event_id, {_TERMS.format(rp="coalesce(w.rp, 0)", fv="coalesce(w.fv, 0)")}
      FROM event_assignments a JOIN events e ON e.id = a.event_id
      LEFT JOIN ({_REWORK}) AS w ON w.id = a.id) AS z
GROUP BY event_id, day, street_id, org_id
""",
    "DELETE FROM assignment_day_rollups",
    f"""
INSERT INTO assignment_day_rollups (day, street_id, org_id, {_COLS})
SELECT day, street_id, org_id, {", ".join(f"sum({s})" for s in _SUMS)}
FROM assignment_event_terms GROUP BY day, street_id, org_id
""",
)

DROP = (
    "DROP TRIGGER IF EXISTS event_timeline_assessment ON event_timeline",
    "DROP TRIGGER IF EXISTS events_assessment ON events",
    "DROP TRIGGER IF EXISTS event_assignments_assessment ON event_assignments",
    "DROP TRIGGER IF EXISTS events_spot_rollup ON events",
    "DROP FUNCTION IF EXISTS assessment_timeline_trigger()",
    "DROP FUNCTION IF EXISTS assessment_event_trigger()",
    "DROP FUNCTION IF EXISTS assessment_assignment_trigger()",
    "DROP FUNCTION IF EXISTS assessment_refresh(varchar)",
    "DROP FUNCTION IF EXISTS event_spot_trigger()",
    "DROP FUNCTION IF EXISTS event_spot_apply(events, boolean, events, boolean)",
    "DROP TABLE IF EXISTS assignment_event_terms",
    "DROP TABLE IF EXISTS assignment_day_rollups",
    "DROP TABLE IF EXISTS event_spot_rollups",
)
