"""JSON log lines, one object per line, each with the request id of its request.

Why not Litestar's ``litestar.plugins.structlog`` (checked against 2.25): every module and
library here logs through stdlib ``logging``; the plugin adds structlog (a dependency) and
configures it process-wide with ``structlog.configure`` plus a ``dictConfig`` that replaces
the root handlers (tests build many apps in one process and rely on pytest's capture
handler staying). Its request logging middleware would duplicate our one access line per
request (observability/asgi.py), which also times 404s and feeds the latency metrics. What
remains ours is small: a formatter, the request-id filter and the redaction filter.

Configured by ``create_app`` and the CLI (never at import time). Every record passes the
redaction filter on our root handler, which sits first among the root handlers and
rewrites the record in place, so handlers after it (pytest's capture, a test's handler)
see the redacted record too. Records that never reach the root logger are not covered.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from contextvars import ContextVar
from typing import Any, TextIO

__all__ = [
    "JsonFormatter",
    "RedactFilter",
    "RequestIdFilter",
    "configure_logging",
    "redact",
    "request_id_var",
]

request_id_var: ContextVar[str | None] = ContextVar("chengyun_request_id", default=None)

MASK = "***"
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*")
# Three base64url parts, the first a JSON header ('{"' encodes as "eyJ").
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_SECRET_FIELD = re.compile(
    r"(?i)((?:password|passwd|secret|token|authorization)[\"']?\s*[:=]\s*[\"']?)"
    r"(?!(?i:bearer)\s)([^\"'\s,;&}]+)"
)
# Mainland mobile numbers (optionally +86): keep the first three and last four digits.
_PHONE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?1[3-9]\d)\d{4}(\d{4})(?!\d)")
_SECRET_KEY = re.compile(r"(?i)password|passwd|secret|token|authorization|cookie")


def redact(text: str) -> str:
    """Mask bearer tokens, JWTs, password/secret/token fields and mobile numbers."""
    text = _BEARER.sub(r"\1" + MASK, text)
    text = _JWT.sub(MASK, text)
    text = _SECRET_FIELD.sub(r"\1" + MASK, text)
    return _PHONE.sub(r"\1****\2", text)


def _redact_value(value: Any, depth: int = 0) -> Any:
    if depth > 5:
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {
            k: MASK if isinstance(k, str) and _SECRET_KEY.search(k) else _redact_value(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set):
        return [_redact_value(v, depth + 1) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "request_id", "taskName", "color_message"}
)


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and k[:1] != "_"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


class RedactFilter(logging.Filter):
    """Rewrites the record in place: message, extras, exception and stack text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_chengyun_redacted", False):
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        for key, value in _extras(record).items():
            setattr(record, key, MASK if _SECRET_KEY.search(key) else _redact_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._chengyun_redacted = True
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            out["request_id"] = request_id
        for key, value in _extras(record).items():
            out.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, ensure_ascii=False, default=str)


class _ChengyunHandler(logging.StreamHandler[TextIO]):
    """Marks our handler, so configuring again replaces it instead of adding another."""


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """JSON lines on stderr for the root logger; idempotent (tests build many apps)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _ChengyunHandler)]:
        root.removeHandler(old)
    handler = _ChengyunHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactFilter())
    handler.setFormatter(JsonFormatter())
    # First among the root handlers: its filters rewrite the record for the others too.
    root.handlers.insert(0, handler)
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    root.setLevel(numeric)
    # APScheduler logs every job run at INFO: one line per tick per job is noise here
    # (the scheduler metrics count ticks); its warnings and errors still show.
    logging.getLogger("apscheduler").setLevel(max(numeric, logging.WARNING))
    return handler
