"""Login, token rotation, logout and throttling. Takes a session, never commits itself
except where a failure must still leave a trace (throttle counters, failed-login audit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.auth.passwords import PasswordService
from backend.auth.principal import Principal
from backend.auth.tokens import AccessClaims, TokenError, TokenService, hash_refresh_token
from backend.auth.verified import VerifiedSessions
from backend.common.phone import mask_phone
from backend.db.base import utcnow
from backend.db.engine import on_commit
from backend.db.models import AuthSession, LoginThrottle, Org, RefreshToken, User
from backend.errors import ProblemError
from schemas.auth import MeOut
from schemas.orgs import OrgOut

__all__ = ["AuthService", "IssuedTokens"]


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


def _unauthenticated(detail: str = "invalid or expired credentials") -> ProblemError:
    return ProblemError(
        401, "unauthenticated", detail, headers={"WWW-Authenticate": 'Bearer realm="chengyun"'}
    )


class AuthService:
    def __init__(
        self,
        *,
        passwords: PasswordService,
        tokens: TokenService,
        refresh_seconds: int,
        max_failures: int,
        ip_max_failures: int,
        window_seconds: int,
        verified_seconds: float = 0.0,
    ) -> None:
        self.passwords = passwords
        self.tokens = tokens
        self.refresh_seconds = refresh_seconds
        self.max_failures = max_failures
        self.ip_max_failures = ip_max_failures
        self.window = timedelta(seconds=window_seconds)
        # Logins checked a moment ago (see backend/auth/verified.py for what keeps it exact).
        self.verified = VerifiedSessions(verified_seconds)
        # Called with a session id once its revocation is committed (open sockets close).
        self.session_ended: list[Callable[[str], None]] = []

    def _session_ended(self, session_id: str) -> None:
        self.verified.forget_session(session_id)
        for listener in self.session_ended:
            listener(session_id)

    # -- throttling ---------------------------------------------------------------------
    async def _throttle_state(
        self, session: AsyncSession, key: str, now: datetime
    ) -> LoginThrottle | None:
        row = await session.get(LoginThrottle, key)
        if row is not None and now - row.window_start >= self.window:
            await session.delete(row)
            await session.flush()
            return None
        return row

    async def _check_throttle(
        self, session: AsyncSession, keys: list[tuple[str, int]], now: datetime
    ) -> None:
        for key, limit in keys:
            row = await self._throttle_state(session, key, now)
            if row is not None and row.failures >= limit:
                retry = max(1, int((row.window_start + self.window - now).total_seconds()) + 1)
                raise ProblemError(
                    429,
                    "rate_limited",
                    "too many failed logins; try again later",
                    headers={"Retry-After": str(retry)},
                )

    async def _count_failure(self, session: AsyncSession, key: str, now: datetime) -> None:
        row = await session.get(LoginThrottle, key)
        if row is None:
            session.add(LoginThrottle(key=key, failures=1, window_start=now))
        else:
            row.failures += 1

    # -- login --------------------------------------------------------------------------
    async def login(
        self, session: AsyncSession, *, username: str, password: str, ip: str | None
    ) -> IssuedTokens:
        now = utcnow()
        # PostgreSQL text cannot hold a NUL byte (the query would fail with 500). No login
        # has one, so such a name is simply wrong: never looked up, stored with U+FFFD.
        name = username.strip()
        stored_name = name.replace("\x00", "\ufffd")
        user_key = f"user:{stored_name.lower()}"
        ip_key = f"ip:{ip or 'unknown'}"
        await self._check_throttle(
            session, [(user_key, self.max_failures), (ip_key, self.ip_max_failures)], now
        )
        user = (
            None
            if "\x00" in name
            else (
                await session.execute(select(User).where(User.username == name))
            ).scalar_one_or_none()
        )
        ok = self.passwords.verify(user.password_hash if user else None, password)
        if not ok or user is None or not user.is_active:
            await self._count_failure(session, user_key, now)
            await self._count_failure(session, ip_key, now)
            audit.record(
                session,
                action="login_failed",
                actor_id=None,
                target_type="user",
                target_id=user.id if user else None,
                ip=ip,
                data={"username": stored_name[:64]},
            )
            # The request rolls back on error; the counters and the audit row must stay.
            await session.commit()
            raise _unauthenticated("wrong username or password")
        existing = await session.get(LoginThrottle, user_key)
        if existing is not None:
            await session.delete(existing)
        if self.passwords.needs_rehash(user.password_hash):
            user.password_hash = self.passwords.hash(password)
        auth_session = AuthSession(user_id=user.id)
        session.add(auth_session)
        await session.flush()
        audit.record(
            session, action="login", actor_id=user.id, target_type="user", target_id=user.id, ip=ip
        )
        return await self._issue(session, user, auth_session.id, now)

    async def _issue(
        self, session: AsyncSession, user: User, session_id: str, now: datetime
    ) -> IssuedTokens:
        refresh = self.tokens.new_refresh_token()
        session.add(
            RefreshToken(
                token_hash=hash_refresh_token(refresh),
                session_id=session_id,
                issued_at=now,
                expires_at=now + timedelta(seconds=self.refresh_seconds),
            )
        )
        access = self.tokens.issue_access(
            user_id=user.id, session_id=session_id, role=user.role, now=now
        )
        return IssuedTokens(access, refresh, self.tokens.access_seconds, user)

    # -- refresh ------------------------------------------------------------------------
    async def refresh(self, session: AsyncSession, *, token: str, ip: str | None) -> IssuedTokens:
        now = utcnow()
        row = await session.get(RefreshToken, hash_refresh_token(token))
        if row is None:
            raise _unauthenticated()
        auth_session = await session.get(AuthSession, row.session_id)
        if auth_session is None or auth_session.revoked_at is not None:
            raise _unauthenticated()
        # Claim the token atomically: of two racing refreshes only one wins; the other is
        # a reuse and revokes the family.
        claimed = await session.execute(
            update(RefreshToken)
            .where(RefreshToken.token_hash == row.token_hash, RefreshToken.used_at.is_(None))
            .values(used_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's Result is a CursorResult at runtime
            auth_session.revoked_at = now
            auth_session.revoked_reason = "refresh_reuse"
            audit.record(
                session,
                action="refresh_reuse",
                actor_id=auth_session.user_id,
                target_type="session",
                target_id=auth_session.id,
                ip=ip,
            )
            await session.commit()
            self._session_ended(auth_session.id)
            raise _unauthenticated("refresh token reused; the session was revoked")
        if row.expires_at <= now:
            raise _unauthenticated("refresh token expired")
        user = await session.get(User, auth_session.user_id)
        if user is None or not user.is_active:
            raise _unauthenticated()
        return await self._issue(session, user, auth_session.id, now)

    async def logout(self, session: AsyncSession, principal: Principal) -> None:
        auth_session = await session.get(AuthSession, principal.session_id)
        if auth_session is not None and auth_session.revoked_at is None:
            auth_session.revoked_at = utcnow()
            auth_session.revoked_reason = "logout"
            sid = auth_session.id
            on_commit(session, lambda: self._session_ended(sid))
        audit.record(
            session,
            action="logout",
            actor_id=principal.id,
            target_type="session",
            target_id=principal.session_id,
        )

    # -- per request ----------------------------------------------------------------------
    async def authenticate(
        self, session: AsyncSession, token: str, claims: AccessClaims | None = None
    ) -> Principal:
        """The caller behind ``token``; ``claims`` when a guard already decoded it (the
        signature check is a noticeable share of a small request's CPU)."""
        hit = self.verified.get(token)
        if hit is not None:
            return hit.principal
        if claims is None:
            try:
                claims = self.tokens.decode_access(token)
            except TokenError as exc:
                raise _unauthenticated() from exc
        # Plain columns, not a User entity: this runs on every request, and the ORM
        # identity-map bookkeeping for one row costs more than the query itself on SQLite.
        row = (
            await session.execute(
                select(
                    User.id,
                    User.username,
                    User.display_name,
                    User.role,
                    User.org_id,
                    User.is_active,
                    User.phone,
                    Org.type,
                    Org.street_id,
                    Org.code,
                    Org.name,
                    Org.parent_id,
                    AuthSession.revoked_at,
                )
                .join(Org, Org.id == User.org_id)
                .join(AuthSession, AuthSession.user_id == User.id)
                .where(User.id == claims.user_id, AuthSession.id == claims.session_id)
            )
        ).one_or_none()
        if row is None or row.revoked_at is not None or not row.is_active:
            raise _unauthenticated()
        principal = Principal(
            id=row.id,
            username=row.username,
            display_name=row.display_name,
            role=row.role,
            org_id=row.org_id,
            org_type=row.type,
            street_id=row.street_id,
            session_id=claims.session_id,
            phone=row.phone,
        )
        me = MeOut(
            id=row.id,
            username=row.username,
            display_name=row.display_name,
            role=row.role,
            org=OrgOut(
                id=row.org_id, code=row.code, name=row.name, type=row.type, parent_id=row.parent_id
            ),
            phone_masked=mask_phone(row.phone),
        )
        self.verified.put(token, principal, me, claims.expires_at.timestamp())
        return principal
