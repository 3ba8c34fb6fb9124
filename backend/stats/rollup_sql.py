"""The daily roll-up's SQL (PostgreSQL): the trigger that keeps it and the rebuild.

``event_day_rollups`` holds, per UTC day of ``created_at`` × street × status × category ×
source, the count and the overview's sums, each defined exactly as the raw overview
(backend/stats/service.py) defines them per event, so a sum of roll-up rows equals the raw
grouped scan over the same events. A row-level trigger on ``events`` applies every
insert, update and delete in the writer's own transaction: it subtracts the old row's
contribution and adds the new one's. Being a trigger, it sees every writer (actions,
imports, open311, reopenings, the SLA sweep, plain SQL), not only those that go through
the events hooks. The two upserts of an update are made in key order, so two transactions
moving events between the same two keys lock them in the same order.

SQLite has no roll-up: its overview reads the events (the table is not created there).
"""

from __future__ import annotations

__all__ = ["CREATE_TABLE", "DROP", "INSTALL_TRIGGER", "REBUILD"]

CREATE_TABLE = """
CREATE TABLE event_day_rollups (
    day date NOT NULL,
    street_id varchar(64) NOT NULL,
    status varchar(20) NOT NULL,
    category_code varchar(64) NOT NULL,
    source varchar(20) NOT NULL,
    n bigint NOT NULL DEFAULT 0,
    hd bigint NOT NULL DEFAULT 0,
    ot bigint NOT NULL DEFAULT 0,
    hs bigint NOT NULL DEFAULT 0,
    hn bigint NOT NULL DEFAULT 0,
    ss bigint NOT NULL DEFAULT 0,
    sn bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, street_id, status, category_code, source)
)
"""

# One event's contribution: the same expressions as the raw overview's grouped pass.
_ROW = """
    (r.created_at AT TIME ZONE 'UTC')::date, r.street_id, r.status, r.category_code, r.source,
    1,
    CASE WHEN r.handled_at IS NOT NULL AND r.due_at IS NOT NULL THEN 1 ELSE 0 END,
    CASE WHEN r.handled_at IS NOT NULL AND r.due_at IS NOT NULL
         AND r.handled_at <= r.due_at THEN 1 ELSE 0 END,
    coalesce(CAST(round(date_part('epoch', r.handled_at - r.first_dispatched_at) * 1000000)
        AS bigint), 0),
    CASE WHEN r.handled_at IS NOT NULL AND r.first_dispatched_at IS NOT NULL THEN 1 ELSE 0 END,
    coalesce(r.satisfaction, 0),
    CASE WHEN r.satisfaction IS NOT NULL THEN 1 ELSE 0 END
"""

INSTALL_TRIGGER = (
    """
CREATE FUNCTION event_rollup_apply(r events, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_day_rollups AS u
        (day, street_id, status, category_code, source, n, hd, ot, hs, hn, ss, sn)
    SELECT d, st, s, c, src, sign * n, sign * hd, sign * ot, sign * hs, sign * hn,
           sign * ss, sign * sn
    FROM (SELECT {row}) AS x(d, st, s, c, src, n, hd, ot, hs, hn, ss, sn)
    ON CONFLICT (day, street_id, status, category_code, source) DO UPDATE SET
        n = u.n + EXCLUDED.n, hd = u.hd + EXCLUDED.hd, ot = u.ot + EXCLUDED.ot,
        hs = u.hs + EXCLUDED.hs, hn = u.hn + EXCLUDED.hn, ss = u.ss + EXCLUDED.ss,
        sn = u.sn + EXCLUDED.sn;
END $$
""".replace("{row}", _ROW),
    """
CREATE FUNCTION event_rollup_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM event_rollup_apply(NEW, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM event_rollup_apply(OLD, -1);
    ELSIF (OLD.created_at, OLD.street_id, OLD.status, OLD.category_code, OLD.source,
           OLD.handled_at, OLD.due_at, OLD.first_dispatched_at, OLD.satisfaction)
          IS DISTINCT FROM
          (NEW.created_at, NEW.street_id, NEW.status, NEW.category_code, NEW.source,
           NEW.handled_at, NEW.due_at, NEW.first_dispatched_at, NEW.satisfaction) THEN
        -- Lock the two keys in one order whatever the direction of the move.
        IF ((OLD.created_at AT TIME ZONE 'UTC')::date, OLD.street_id, OLD.status,
            OLD.category_code, OLD.source)
           <= ((NEW.created_at AT TIME ZONE 'UTC')::date, NEW.street_id, NEW.status,
            NEW.category_code, NEW.source) THEN
            PERFORM event_rollup_apply(OLD, -1);
            PERFORM event_rollup_apply(NEW, 1);
        ELSE
            PERFORM event_rollup_apply(NEW, 1);
            PERFORM event_rollup_apply(OLD, -1);
        END IF;
    END IF;
    RETURN NULL;
END $$
""",
    """
CREATE TRIGGER events_rollup AFTER INSERT OR UPDATE OR DELETE ON events
FOR EACH ROW EXECUTE FUNCTION event_rollup_trigger()
""",
)

# From scratch, in one statement (the migration's backfill and `chengyun rebuild-rollups`).
REBUILD = (
    "DELETE FROM event_day_rollups",
    """
INSERT INTO event_day_rollups
    (day, street_id, status, category_code, source, n, hd, ot, hs, hn, ss, sn)
SELECT d, st, s, c, src, sum(n), sum(hd), sum(ot), sum(hs), sum(hn), sum(ss), sum(sn)
FROM (SELECT {row} FROM events r) AS x(d, st, s, c, src, n, hd, ot, hs, hn, ss, sn)
GROUP BY d, st, s, c, src
""".replace("{row}", _ROW),
)

DROP = (
    "DROP TRIGGER IF EXISTS events_rollup ON events",
    "DROP FUNCTION IF EXISTS event_rollup_trigger()",
    "DROP FUNCTION IF EXISTS event_rollup_apply(events, integer)",
    "DROP TABLE IF EXISTS event_day_rollups",
)
