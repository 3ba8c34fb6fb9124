"""The daily roll-up's SQL (PostgreSQL): the trigger that keeps it and the rebuild.

``event_day_rollups`` holds, per UTC day of ``created_at``, per scope (``*`` for the whole
district, or one street) and per breakdown key (``status``/``category``/``source``/``street``
and its value), the count and the overview's sums: the overview's four breakdowns, not their
cross product, which at 1,000,000 events is a third as many rows as events. Each sum is
defined exactly as the raw overview
(backend/stats/service.py) defines them per event, so a sum of roll-up rows equals the raw
grouped scan over the same events. A row-level trigger on ``events``, deferred to commit,
applies every insert, update and delete in the writer's own transaction: it subtracts the old row's
contribution and adds the new one's. Being a trigger, it sees every writer (actions,
imports, open311, reopenings, the SLA sweep, plain SQL), not only those that go through
the events hooks. Each upsert writes its keys in key order.

SQLite has no roll-up: its overview reads the events (the table is not created there).
"""

from __future__ import annotations

import re

__all__ = ["CREATE_TABLE", "DROP", "INSTALL_TRIGGER", "REBUILD"]

CREATE_TABLE = """
CREATE TABLE event_day_rollups (
    day date NOT NULL,
    scope varchar(64) NOT NULL,
    dim varchar(10) NOT NULL,
    key varchar(64) NOT NULL,
    n bigint NOT NULL DEFAULT 0,
    hd bigint NOT NULL DEFAULT 0,
    ot bigint NOT NULL DEFAULT 0,
    hs bigint NOT NULL DEFAULT 0,
    hn bigint NOT NULL DEFAULT 0,
    ss bigint NOT NULL DEFAULT 0,
    sn bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, scope, dim, key)
)
"""

# One event's contribution: the same expressions as the raw overview's grouped pass.
_ROW = """
    (r.created_at AT TIME ZONE 'UTC')::date AS d, k.scope, k.dim, k.key,
    1 AS n,
    CASE WHEN r.handled_at IS NOT NULL AND r.due_at IS NOT NULL THEN 1 ELSE 0 END AS hd,
    CASE WHEN r.handled_at IS NOT NULL AND r.due_at IS NOT NULL
         AND r.handled_at <= r.due_at THEN 1 ELSE 0 END AS ot,
    coalesce(CAST(round(date_part('epoch', r.handled_at - r.first_dispatched_at) * 1000000)
        AS bigint), 0) AS hs,
    CASE WHEN r.handled_at IS NOT NULL AND r.first_dispatched_at IS NOT NULL
         THEN 1 ELSE 0 END AS hn,
    coalesce(r.satisfaction, 0) AS ss,
    CASE WHEN r.satisfaction IS NOT NULL THEN 1 ELSE 0 END AS sn
"""
# Each event counts in four breakdowns (status, category, source, street), once for the
# whole district (scope '*') and once for its own street.
_KEYS = """
    (VALUES
        ('*', 'status', r.status), ('*', 'category', r.category_code),
        ('*', 'source', r.source), ('*', 'street', r.street_id),
        (r.street_id, 'status', r.status), (r.street_id, 'category', r.category_code),
        (r.street_id, 'source', r.source), (r.street_id, 'street', r.street_id)
    ) AS k(scope, dim, key)
"""


def _side(var: str, sign: str, flag: str) -> str:
    """One side (old or new row) of a change: its contribution per key, signed."""
    # Our own constant SQL text, nothing from a request.
    text = f"SELECT {sign} AS sg, {_ROW} FROM {_KEYS} WHERE {flag}"  # noqa: S608
    return re.sub(r"\br\.", f"{var}.", text)


# The trigger is a constraint trigger deferred to commit, and one change's old and new
# contributions go in ONE upsert in key order, netted per key (keys whose sums do not move
# are not touched). Two reasons, both lock order: the roll-up's rows are shared by every
# writer of a day, so taken at a change they would be held through the rest of the
# transaction while it waits for event rows, the inbox counter and the like (a duplicate
# report and an accept of its original deadlocked that way); taken at commit they are
# every writer's last locks, after the inbox counter (taken in before_commit), and a
# change's keys are locked in one sorted pass instead of the old row's, then the new's.
INSTALL_TRIGGER = (
    """
CREATE FUNCTION event_rollup_apply(o events, use_old boolean, nw events, use_new boolean)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_day_rollups AS u (day, scope, dim, key, n, hd, ot, hs, hn, ss, sn)
    SELECT d, scope, dim, key, sum(sg * n), sum(sg * hd), sum(sg * ot), sum(sg * hs),
           sum(sg * hn), sum(sg * ss), sum(sg * sn)
    FROM ({old} UNION ALL {new}) AS x
    GROUP BY d, scope, dim, key
    HAVING sum(sg * n) <> 0 OR sum(sg * hd) <> 0 OR sum(sg * ot) <> 0
        OR sum(sg * hs) <> 0 OR sum(sg * hn) <> 0 OR sum(sg * ss) <> 0
        OR sum(sg * sn) <> 0
    ORDER BY d, scope, dim, key
    ON CONFLICT (day, scope, dim, key) DO UPDATE SET
        n = u.n + EXCLUDED.n, hd = u.hd + EXCLUDED.hd, ot = u.ot + EXCLUDED.ot,
        hs = u.hs + EXCLUDED.hs, hn = u.hn + EXCLUDED.hn, ss = u.ss + EXCLUDED.ss,
        sn = u.sn + EXCLUDED.sn;
END $$
""".replace("{old}", _side("o", "-1", "use_old")).replace("{new}", _side("nw", "1", "use_new")),
    """
CREATE FUNCTION event_rollup_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM event_rollup_apply(NEW, false, NEW, true);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM event_rollup_apply(OLD, true, OLD, false);
    ELSIF (OLD.created_at, OLD.street_id, OLD.status, OLD.category_code, OLD.source,
           OLD.handled_at, OLD.due_at, OLD.first_dispatched_at, OLD.satisfaction)
          IS DISTINCT FROM
          (NEW.created_at, NEW.street_id, NEW.status, NEW.category_code, NEW.source,
           NEW.handled_at, NEW.due_at, NEW.first_dispatched_at, NEW.satisfaction) THEN
        PERFORM event_rollup_apply(OLD, true, NEW, true);
    END IF;
    RETURN NULL;
END $$
""",
    """
CREATE CONSTRAINT TRIGGER events_rollup AFTER INSERT OR UPDATE OR DELETE ON events
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION event_rollup_trigger()
""",
)

# From scratch, in one statement (the migration's backfill and `chengyun rebuild-rollups`).
REBUILD = (
    "DELETE FROM event_day_rollups",
    """
INSERT INTO event_day_rollups (day, scope, dim, key, n, hd, ot, hs, hn, ss, sn)
SELECT d, scope, dim, key, sum(n), sum(hd), sum(ot), sum(hs), sum(hn), sum(ss), sum(sn)
FROM (SELECT {row} FROM events r CROSS JOIN LATERAL {keys}) AS x
GROUP BY d, scope, dim, key
""".replace("{row}", _ROW).replace("{keys}", _KEYS),
)

DROP = (
    "DROP TRIGGER IF EXISTS events_rollup ON events",
    "DROP FUNCTION IF EXISTS event_rollup_trigger()",
    "DROP FUNCTION IF EXISTS event_rollup_apply(events, boolean, events, boolean)",
    "DROP TABLE IF EXISTS event_day_rollups",
)
