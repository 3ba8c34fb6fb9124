"""What the flood-day simulator was told was accepted, what its phones received, and the
figures it prints (bench/floodday.py)."""

from __future__ import annotations

import itertools
import statistics
import time
from collections import Counter, defaultdict
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

    def window(self) -> tuple[float, float]:
        end = max(self.repaired, self.sockets_back or 0.0, self.retry_answered) + 5.0
        return self.at, end


@dataclass
class Ledger:
    # events: Idempotency-Key -> event id, and the answers a repeat of the key got
    reports: dict[str, str] = field(default_factory=dict)
    report_repeats: Counter[str] = field(default_factory=Counter)
    report_doubled: list[str] = field(default_factory=list)
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
    pushes: list[dict[str, Any]], notes: dict[str, list[str]], token_of: dict[str, str]
) -> dict[str, int]:
    """Each stored notification of a user with a device: one push to that device."""
    by_note: Counter[tuple[str, str]] = Counter(
        (str(p["token"]), str(p["notification_id"])) for p in pushes
    )
    expected = {(token_of[u], n) for u, ids in notes.items() if u in token_of for n in ids}
    lost = sum(1 for k in expected if k not in by_note)
    doubled = sum(c - 1 for k, c in by_note.items() if c > 1)
    unknown = sum(1 for k in by_note if k not in expected)
    return {
        "expected": len(expected),
        "pushed": len(pushes),
        "lost": lost,
        "doubled": doubled,
        "unknown": unknown,
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
            f"{rel(f.retry_answered if f.interrupted else None)}"
        )
    return out
