"""What the flood-day simulator was told was accepted, what its phones received, and the
figures it prints (bench/floodday.py)."""

from __future__ import annotations

import itertools
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def pct(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@dataclass
class Fault:
    name: str
    at: float  # monotonic: when it was injected
    repaired: float = 0.0  # when the dependency / process was back (accepting)
    first_ok: float | None = None  # the first 2xx of a request sent after `repaired`
    sockets_back: float | None = None  # every phone connected and resubscribed
    retry_answered: float = 0.0  # the last interrupted request answered (max over them)
    interrupted: int = 0
    note: str = ""
    t0: float = 0.0  # the run's start, for printing
    wall_at: float = 0.0  # time.time() of `at` and `repaired` (the fake FCM's clock)
    wall_repaired: float = 0.0
    city_caught: float | None = None  # the relays caught up with what was accepted before
    push_caught: float | None = None

    def lost_answer_window(self, lease: float) -> tuple[float, float]:
        """Wall times in which FCM may have taken a push whose answer the server never
        recorded: a send in flight when the process died or its database went away (the
        lease then sends it again)."""
        if self.name not in {"kill -9", "PostgreSQL restart"}:
            return (0.0, 0.0)
        return (self.wall_at - lease - 30.0, self.wall_repaired)

    def window(self) -> tuple[float, float]:
        end = max(self.repaired, self.sockets_back or 0.0, self.retry_answered) + 5.0
        return self.at, end


@dataclass
class Ledger:
    # events: Idempotency-Key -> event id, and the answers a repeat of the key got
    reports: dict[str, str] = field(default_factory=dict)
    report_repeats: Counter[str] = field(default_factory=Counter)
    report_doubled: list[str] = field(default_factory=list)
    report_at: dict[str, float] = field(default_factory=dict)  # key -> monotonic, answered
    # (event id, action) accepted
    actions: list[tuple[str, str]] = field(default_factory=list)
    # room messages: client_msg_id -> seq
    messages: dict[str, int] = field(default_factory=dict)
    sent_at: dict[str, float] = field(default_factory=dict)  # client_msg_id -> monotonic
    instructions: dict[int, list[str]] = field(default_factory=dict)  # seq -> target user ids
    acks: set[tuple[int, str]] = field(default_factory=set)  # (instruction seq, user id)
    incident_members: list[str] = field(default_factory=list)
    # per phone: room seqs received in arrival order
    phone_seqs: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    phone_first_seq: dict[int, int] = field(default_factory=dict)
    notes_on_socket: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    note_seen: dict[tuple[str, str], float] = field(default_factory=dict)  # first, monotonic
    delivery: list[float] = field(default_factory=list)  # seconds, send -> phone
    # route -> [(monotonic start, seconds, status)]
    calls: dict[str, list[tuple[float, float, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    errors: Counter[str] = field(default_factory=Counter)

    def call(self, route: str, start: float, status: int) -> None:
        self.calls[route].append((start, time.monotonic() - start, status))


def in_any(t: float, windows: list[tuple[float, float]]) -> bool:
    return any(a <= t <= b for a, b in windows)


def route_table(ledger: Ledger, faults: list[Fault]) -> list[str]:
    windows = [f.window() for f in faults]
    lines = [
        f"{'route':34} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} | {'in faults n':>11} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
    ]
    for route in sorted(ledger.calls):
        rows = ledger.calls[route]
        out = [d * 1000 for s, d, st in rows if not in_any(s, windows) and st < 400]
        inn = [d * 1000 for s, d, st in rows if in_any(s, windows) and st < 400]
        bad = sum(1 for _, _, st in rows if st >= 400 or st == 0)
        lines.append(
            f"{route:34} {len(out):6d} {pct(out, 50):8.1f} {pct(out, 99):8.1f} | "
            f"{len(inn):11d} {pct(inn, 50):8.1f} {pct(inn, 99):8.1f} {bad:8d}"
        )
    return lines


def phone_order(ledger: Ledger) -> tuple[int, int, int]:
    """(missing, doubled, out of order) over every phone's received room seqs, counted
    from the first seq each phone saw to the last seq of the room."""
    last = max(ledger.messages.values(), default=0)
    missing = doubled = disorder = 0
    for phone, seqs in ledger.phone_seqs.items():
        first = ledger.phone_first_seq.get(phone, seqs[0] if seqs else 1)
        counts = Counter(seqs)
        doubled += sum(c - 1 for c in counts.values() if c > 1)
        missing += sum(1 for s in range(first, last + 1) if s not in counts)
        disorder += sum(1 for a, b in itertools.pairwise(seqs) if b < a)
    return missing, doubled, disorder


def check_pushes(
    pushes: list[dict[str, Any]],
    notes: dict[str, list[str]],
    tokens_of: dict[str, list[str]],
    outages: Sequence[tuple[float, float]] = (),
) -> dict[str, int]:
    """Each stored notification of a user: one push to each of the user's devices. A push
    that came again after its first copy reached FCM inside a fault's lost-answer window
    (``Fault.lost_answer_window``) is counted apart (``answer_lost``): FCM took it, the
    server never heard, the lease sent it again; any other copy is ``doubled``."""
    first: dict[tuple[str, str], float] = {}
    copies: Counter[tuple[str, str]] = Counter()
    for p in pushes:
        k = (str(p["token"]), str(p["notification_id"]))
        copies[k] += 1
        first.setdefault(k, float(p.get("at", 0.0)))
    expected = {(t, n) for u, ids in notes.items() for t in tokens_of.get(u, ()) for n in ids}
    lost = sum(1 for k in expected if k not in copies)
    doubled = answer_lost = 0
    for k, c in copies.items():
        if c > 1:
            if any(a <= first[k] <= b for a, b in outages):
                answer_lost += c - 1
            else:
                doubled += c - 1
    return {
        "expected": len(expected),
        "pushed": len(pushes),
        "lost": lost,
        "doubled": doubled,
        "answer_lost": answer_lost,
        "unknown": sum(1 for k in copies if k not in expected),
    }


def check_city(city: Any, event_ids: Any) -> dict[str, int]:
    """Each accepted report's event.created at the fake city once: by the body's ``id``
    (its de-duplication key) a redelivery is counted apart; two ids for one event are a
    second message, ``doubled``."""
    by_event = city.created_by_event()
    ids = Counter(b["id"] for b in city.received if b.get("kind") == "event.created")
    wanted = set(event_ids)
    return {
        "expected": len(wanted),
        "delivered": sum(ids.values()),
        "lost": sum(1 for e in wanted if e not in by_event),
        "doubled": sum(len(v) - 1 for v in by_event.values() if len(v) > 1),
        "redelivered": sum(c - 1 for c in ids.values() if c > 1),
    }


def print_block(title: str, lines: list[str]) -> None:
    print(f"\n== {title}")
    for line in lines:
        print("  " + line)


def fault_lines(faults: list[Fault]) -> list[str]:
    out = []
    for f in faults:

        def rel(t: float | None, f: Fault = f) -> str:
            return "never" if t is None else f"{t - f.repaired:.1f} s"

        out.append(
            f"{f.name} at +{f.at - f.t0:.0f} s ({f.note}): back after {f.repaired - f.at:.1f} s; "
            f"from then: first 2xx {rel(f.first_ok)}, every socket back and resubscribed "
            f"{rel(f.sockets_back)}, last of {f.interrupted} interrupted requests answered "
            f"{rel(f.retry_answered if f.interrupted else None)}; relays caught up with what "
            f"was accepted before: push {rel(f.push_caught)}, city {rel(f.city_caught)}"
        )
    return out
