"""Typed settings, read from the environment once by :meth:`Settings.from_env`.

Nothing here builds a client or touches the disk: ``create_app(settings)`` does that, so a
test builds an app with settings of its own.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = ["DEMO_PASSWORD", "DEMO_SECRET_KEY", "Settings", "SettingsError"]

#: The secret shipped for development; production refuses to start with it.
DEMO_SECRET_KEY = "chengyun-demo-secret-change-me-0123456789abcdef"  # noqa: S105
#: The password of every demo login; production refuses to run with users still using it.
DEMO_PASSWORD = "chengyun-demo"  # noqa: S105


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe for the chosen environment."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(
    env: Mapping[str, str], name: str, default: float, minimum: float | None = None
) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if not math.isfinite(value):
        raise SettingsError(f"{name} must be a finite number, got {raw!r}")
    if minimum is not None and value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    env: str = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    media_dir: Path | None = None
    redis_url: str | None = None
    push_sender: str = "log"
    fcm_credentials_file: str | None = None
    fcm_project_id: str | None = None
    # Where FCM's HTTP v1 API is (unset: https://fcm.googleapis.com): a gateway, or a fake
    # FCM on loopback for a drill. http:// is spoken as HTTP/2 with prior knowledge.
    fcm_endpoint: str | None = None
    # The push outbox relay (backend/notify/relay.py): deliveries per claim, attempts
    # before giving up, the claim lease (longer than a batch takes), concurrent loops.
    # Small batches in several workers: the relay's per-batch bookkeeping runs on the event
    # loop, and 50 keeps its p99 stall under 20 ms with throughput within 0.8 of bare HTTP/2
    # (bench/relay.py); FCM still gets its requests concurrently.
    push_batch_size: int = 50
    push_max_attempts: int = 8
    push_lease_seconds: int = 120
    push_relay_workers: int = 4
    secret_key: str = DEMO_SECRET_KEY
    allowed_origins: tuple[str, ...] = ()
    sla_sweep_seconds: int = 30
    access_token_seconds: int = 15 * 60
    refresh_token_seconds: int = 30 * 24 * 3600
    # How long a checked login is trusted without asking the database again (0: never); a
    # logout or a reused refresh token ends it at once (backend/auth/verified.py).
    auth_cache_seconds: int = 5
    # How long a polled answer is kept at most (0: never kept); any commit that could change
    # it drops it at once (backend/common/views.py). Bounds writers outside the servers.
    view_cache_seconds: int = 60
    jwt_audience: str = "chengyun-app"
    jwt_issuer: str = "chengyun"
    login_max_failures: int = 5
    login_window_seconds: int = 15 * 60
    login_ip_max_failures: int = 50
    media_url_seconds: int = 3600
    media_max_bytes: int = 20 * 1024 * 1024
    media_max_pixels: int = 50_000_000
    media_gps_mismatch_m: float = 200.0
    idempotency_hours: int = 48
    duplicate_window_hours: int = 72
    # Working hours after an overdue before the case escalates to the district center.
    escalate_after_working_hours: float = 4.0
    scheduler_enabled: bool = True
    log_level: str = "INFO"
    # GET /metrics answers any address, not only loopback and private ones.
    metrics_public: bool = False
    font_path: str | None = None
    # An S3-compatible object store for media; unset: the local media folder.
    s3_endpoint: str | None = None
    s3_bucket: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_region: str = "us-east-1"
    # "fast" argon2 parameters exist for tests and benchmarks; production refuses them.
    password_profile: str = "standard"  # noqa: S105 - a profile name, not a password
    # Dispatch rooms over WebSocket (issue 6): the contract's timings, and the limits that
    # keep one client from hurting the others.
    ws_auth_seconds: float = 5.0
    ws_ping_seconds: float = 20.0
    ws_idle_seconds: float = 60.0
    ws_max_frame_bytes: int = 64 * 1024
    ws_queue_max: int = 512
    ws_send_rate: float = 20.0
    ws_send_burst: int = 40
    ws_replay_max: int = 1000
    instruction_escalate_minutes: int = 30
    # Hostile requests (backend.common.limits): header size, and how slowly a body may come.
    max_header_bytes: int = 16 * 1024
    body_idle_seconds: float = 15.0
    body_min_rate: float = 1024.0
    body_grace_seconds: float = 10.0
    instruction_sweep_seconds: int = 30
    # City platform link (市城运中心): unset endpoint = outbound sync disabled; unset inbound
    # secret = POST /city/cases answers 404 (switched off is not "unavailable").
    city_endpoint: str | None = None
    city_secret: str | None = None
    city_inbound_secret: str | None = None
    city_relay_seconds: int = 10
    city_lease_seconds: int = 60  # a claimed row's lease (longer than a send's 10 s timeout)
    # The H5 pages' map (backend/pages): unset = vector data only, no request to any other
    # host; set = a Leaflet tile template (https://{s}.tiles.example/{z}/{x}/{y}.png),
    # allowed by the pages' Content-Security-Policy.
    map_tile_url: str | None = None
    map_attribution: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'chengyun.db').resolve()}"

    @property
    def resolved_media_dir(self) -> Path:
        return self.media_dir if self.media_dir is not None else self.data_dir / "media"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]  # replace() cannot check **kwargs against fields

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        app_env = env.get("CHENGYUN_ENV", "development")
        if app_env not in {"development", "production", "test"}:
            raise SettingsError("CHENGYUN_ENV must be development, production or test")
        data_dir = Path(env.get("CHENGYUN_DATA_DIR") or "var")
        media_dir = env.get("CHENGYUN_MEDIA_DIR")
        push_sender = env.get("CHENGYUN_PUSH_SENDER", "log")
        if push_sender not in {"log", "fcm", "memory"}:
            raise SettingsError("CHENGYUN_PUSH_SENDER must be log, fcm or memory")
        origins = tuple(
            o.strip() for o in env.get("CHENGYUN_ALLOWED_ORIGINS", "").split(",") if o.strip()
        )
        settings = cls(
            env=app_env,
            data_dir=data_dir,
            database_url=env.get("CHENGYUN_DATABASE_URL", ""),
            media_dir=Path(media_dir) if media_dir else None,
            redis_url=env.get("CHENGYUN_REDIS_URL") or None,
            push_sender=push_sender,
            fcm_credentials_file=env.get("CHENGYUN_FCM_CREDENTIALS") or None,
            fcm_project_id=env.get("CHENGYUN_FCM_PROJECT_ID") or None,
            fcm_endpoint=env.get("CHENGYUN_FCM_ENDPOINT") or None,
            push_batch_size=_int(env, "CHENGYUN_PUSH_BATCH_SIZE", 50, minimum=1),
            push_max_attempts=_int(env, "CHENGYUN_PUSH_MAX_ATTEMPTS", 8, minimum=1),
            push_lease_seconds=_int(env, "CHENGYUN_PUSH_LEASE_SECONDS", 120, minimum=10),
            push_relay_workers=_int(env, "CHENGYUN_PUSH_RELAY_WORKERS", 4, minimum=1),
            secret_key=env.get("CHENGYUN_SECRET_KEY") or DEMO_SECRET_KEY,
            allowed_origins=origins,
            sla_sweep_seconds=_int(env, "CHENGYUN_SLA_SWEEP_SECONDS", 30, minimum=1),
            access_token_seconds=_int(env, "CHENGYUN_ACCESS_TOKEN_SECONDS", 900, minimum=30),
            refresh_token_seconds=_int(
                env, "CHENGYUN_REFRESH_TOKEN_SECONDS", 30 * 24 * 3600, minimum=60
            ),
            auth_cache_seconds=_int(env, "CHENGYUN_AUTH_CACHE_SECONDS", 5),
            view_cache_seconds=_int(env, "CHENGYUN_VIEW_CACHE_SECONDS", 60),
            login_max_failures=_int(env, "CHENGYUN_LOGIN_MAX_FAILURES", 5, minimum=1),
            login_window_seconds=_int(env, "CHENGYUN_LOGIN_WINDOW_SECONDS", 900, minimum=1),
            login_ip_max_failures=_int(env, "CHENGYUN_LOGIN_IP_MAX_FAILURES", 50, minimum=1),
            media_gps_mismatch_m=_float(env, "CHENGYUN_MEDIA_GPS_MISMATCH_M", 200.0),
            escalate_after_working_hours=_float(env, "CHENGYUN_ESCALATE_AFTER_HOURS", 4.0),
            scheduler_enabled=env.get("CHENGYUN_SCHEDULER", "on") != "off",
            log_level=env.get("CHENGYUN_LOG_LEVEL", "INFO").upper(),
            metrics_public=env.get("CHENGYUN_METRICS_PUBLIC", "") in {"1", "true", "yes"},
            font_path=env.get("CHENGYUN_FONT_PATH") or None,
            s3_endpoint=env.get("CHENGYUN_S3_ENDPOINT") or None,
            s3_bucket=env.get("CHENGYUN_S3_BUCKET") or None,
            s3_access_key=env.get("CHENGYUN_S3_ACCESS_KEY") or None,
            s3_secret_key=env.get("CHENGYUN_S3_SECRET_KEY") or None,
            s3_region=env.get("CHENGYUN_S3_REGION") or "us-east-1",
            password_profile=env.get("CHENGYUN_PASSWORD_PROFILE", "standard"),
            ws_queue_max=_int(env, "CHENGYUN_WS_QUEUE_MAX", 512, minimum=8),
            ws_send_rate=_float(env, "CHENGYUN_WS_SEND_RATE", 20.0),
            ws_send_burst=_int(env, "CHENGYUN_WS_SEND_BURST", 40, minimum=1),
            max_header_bytes=_int(env, "CHENGYUN_MAX_HEADER_BYTES", 16 * 1024, minimum=1024),
            body_idle_seconds=_float(env, "CHENGYUN_BODY_IDLE_SECONDS", 15.0, minimum=1.0),
            body_min_rate=_float(env, "CHENGYUN_BODY_MIN_RATE", 1024.0, minimum=0.0),
            body_grace_seconds=_float(env, "CHENGYUN_BODY_GRACE_SECONDS", 10.0, minimum=0.0),
            instruction_escalate_minutes=_int(
                env, "CHENGYUN_INSTRUCTION_ESCALATE_MINUTES", 30, minimum=1
            ),
            city_endpoint=env.get("CHENGYUN_CITY_ENDPOINT") or None,
            city_secret=env.get("CHENGYUN_CITY_SECRET") or None,
            city_inbound_secret=env.get("CHENGYUN_CITY_INBOUND_SECRET") or None,
            city_relay_seconds=_int(env, "CHENGYUN_CITY_RELAY_SECONDS", 10, minimum=1),
            city_lease_seconds=_int(env, "CHENGYUN_CITY_LEASE_SECONDS", 60, minimum=15),
            map_tile_url=env.get("CHENGYUN_MAP_TILE_URL") or None,
            map_attribution=env.get("CHENGYUN_MAP_ATTRIBUTION") or None,
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse configurations that are unsafe for the chosen environment."""
        if self.is_production:
            if self.secret_key == DEMO_SECRET_KEY:
                raise SettingsError("production refuses the demo CHENGYUN_SECRET_KEY")
            if len(self.secret_key) < 32:
                raise SettingsError("CHENGYUN_SECRET_KEY must be at least 32 characters")
        if self.s3_bucket and not (self.s3_access_key and self.s3_secret_key):
            raise SettingsError("CHENGYUN_S3_BUCKET needs CHENGYUN_S3_ACCESS_KEY and _SECRET_KEY")
        if self.password_profile not in {"standard", "fast"}:
            raise SettingsError("CHENGYUN_PASSWORD_PROFILE must be standard or fast")
        if self.is_production and self.password_profile != "standard":  # noqa: S105
            raise SettingsError("production refuses the fast password profile")
        if self.city_endpoint and not self.city_secret:
            raise SettingsError("CHENGYUN_CITY_ENDPOINT needs CHENGYUN_CITY_SECRET to sign with")
        if self.map_tile_url and not re.fullmatch(r"https?://[^/\s'\";]+/\S*", self.map_tile_url):
            raise SettingsError("CHENGYUN_MAP_TILE_URL must be an http(s) URL template")
        if self.fcm_endpoint and not re.fullmatch(r"https?://[^/\s?#]+/?", self.fcm_endpoint):
            raise SettingsError("CHENGYUN_FCM_ENDPOINT must be an http(s) origin, no path")
        if self.push_sender == "fcm" and not self.fcm_credentials_file:
            raise SettingsError("CHENGYUN_PUSH_SENDER=fcm needs CHENGYUN_FCM_CREDENTIALS")
