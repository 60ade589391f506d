"""Sign-in, sessions and their tokens: throttled by (username, address) and by address with growing delays
(never a lockout of the owner), the same work whether or not the user exists, refresh tokens that rotate
(a reused one ends its session), sign-out, and a per-user token generation that a password change, a role
change or a deactivation raises so every earlier token stops working."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from server import security
from server.audit import service as audit
from server.common import utcnow
from server.db import end_read, write_unit
from server.errors import TooManyRequests, Unauthorized
from server.inputs import bad_character
from server.security import PasswordVerifier
from server.users.models import AuthSession, LoginFailure, User


@dataclass(frozen=True)
class Throttle:
    """Failures allowed free within `window_seconds`; past them each attempt waits 2^(extra) s, up to a cap."""

    free_per_account_and_address: int = 5
    free_per_address: int = 30
    window_seconds: int = 900
    max_delay_seconds: int = 300

    def delay(self, failures: int, free: int) -> int:
        if failures < free:
            return 0
        return min(2 ** (failures - free), self.max_delay_seconds)


@dataclass(frozen=True)
class TokenSettings:
    secret: str
    access_minutes: int
    refresh_days: int


def _wait_needed(session: Session, throttle: Throttle, username: str, address: str) -> int:
    since = utcnow() - timedelta(seconds=throttle.window_seconds)
    waits = []
    for condition, free in (
        (
            (LoginFailure.username == username) & (LoginFailure.address == address),
            throttle.free_per_account_and_address,
        ),
        (LoginFailure.address == address, throttle.free_per_address),
    ):
        count, last = session.exec(
            select(func.count(), func.max(LoginFailure.at)).where(condition, LoginFailure.at >= since)
        ).one()
        delay = throttle.delay(count, free)
        if delay and last is not None:
            last = last if last.tzinfo else last.replace(tzinfo=utcnow().tzinfo)
            remaining = delay - (utcnow() - last).total_seconds()
            if remaining > 0:
                waits.append(int(remaining) + 1)
    return max(waits, default=0)


def authenticate(
    *,
    session: Session,
    verifier: PasswordVerifier,
    dummy_hash: str,
    username: str,
    password: str,
    address: str,
    throttle: Throttle,
) -> User:
    """The active user for these credentials, or 401/429. The password is checked outside any transaction;
    an unknown, inactive or malformed username is checked against a dummy hash, so timing tells nothing."""
    address = address[:64]
    if bad_character(username) or len(username) > 64:
        verifier.verify(password, dummy_hash)
        raise Unauthorized("bad_credentials")
    wait = _wait_needed(session, throttle, username, address)
    if wait:
        raise TooManyRequests("login_slow_down", seconds=wait)
    user = session.exec(select(User).where(User.username == username)).first()
    password_hash = user.password_hash if user is not None and user.is_active else None
    end_read(session)
    ok = verifier.verify(password, password_hash or dummy_hash)
    if not ok or password_hash is None:
        with write_unit(session):
            session.add(LoginFailure(username=username, address=address))
            # The same write whether or not the user exists, so the time taken tells nothing either.
            audit.record(
                session=session, actor_id=None, action="sign_in_failed", target_type="username", target_id=username
            )
        raise Unauthorized("bad_credentials")
    return user


def open_session(*, session: Session, user: User, address: str, tokens: TokenSettings) -> dict[str, object]:
    """A new session for a signed-in user and its first pair of tokens; earlier failures from here forgotten."""
    auth = AuthSession(user_id=user.id, refresh_jti=uuid.uuid4().hex)
    with write_unit(session):
        session.add(auth)
        session.exec(
            delete(LoginFailure).where(LoginFailure.username == user.username, LoginFailure.address == address[:64])
        )
        audit.record(session=session, actor_id=user.id, action="sign_in", target_type="user", target_id=user.id)
    return token_pair(user=user, auth=auth, tokens=tokens)


def open_web_session(*, session: Session, user: User, address: str) -> AuthSession:
    """A session for the console's cookie: it ends like the phone's (sign-out, password or role change,
    deactivation) but has no refresh token."""
    auth = AuthSession(user_id=user.id, refresh_jti=uuid.uuid4().hex)
    with write_unit(session):
        session.add(auth)
        session.exec(
            delete(LoginFailure).where(LoginFailure.username == user.username, LoginFailure.address == address[:64])
        )
        audit.record(session=session, actor_id=user.id, action="sign_in", target_type="user", target_id=user.id)
    return auth


def user_for_web_token(*, session: Session, secret: str, token: str) -> tuple[User, uuid.UUID | None] | None:
    """The active user a console cookie speaks for, while its session and the user's token generation hold."""
    return _user_for(session=session, claims=security.read_claims(secret=secret, token=token, kind="web"))


def token_pair(*, user: User, auth: AuthSession, tokens: TokenSettings) -> dict[str, object]:
    common = {"secret": tokens.secret, "user_id": user.id, "session_id": auth.id, "generation": user.token_generation}
    return {
        "access_token": security.create_token(
            kind="access", lifetime=timedelta(minutes=tokens.access_minutes), **common
        ),
        "refresh_token": security.create_token(
            kind="refresh", lifetime=timedelta(days=tokens.refresh_days), jti=auth.refresh_jti, **common
        ),
        "token_type": "bearer",
        "expires_in": tokens.access_minutes * 60,
    }


def rotate_refresh_token(*, session: Session, refresh_token: str, tokens: TokenSettings) -> dict[str, object]:
    """A new pair for the session's newest refresh token, which is then spent. A spent one used again means
    it was copied: the whole session ends (its holder and the thief must both sign in again)."""
    claims = security.read_claims(secret=tokens.secret, token=refresh_token, kind="refresh")
    if claims is None or claims.session_id is None:
        raise Unauthorized("invalid_token")
    reused = False
    with write_unit(session):
        auth = session.get(AuthSession, claims.session_id, with_for_update=True, populate_existing=True)
        user = session.get(User, claims.user_id, populate_existing=True)
        if (
            auth is None
            or user is None
            or auth.user_id != user.id
            or auth.revoked_at is not None
            or not user.is_active
            or user.token_generation != claims.generation
        ):
            raise Unauthorized("invalid_token")
        if auth.refresh_jti != claims.jti:
            auth.revoked_at = utcnow()
            reused = True
        else:
            auth.refresh_jti = uuid.uuid4().hex
            auth.refreshed_at = utcnow()
        session.add(auth)
    if reused:
        raise Unauthorized("refresh_reused")
    return token_pair(user=user, auth=auth, tokens=tokens)


def sign_out(*, session: Session, session_id: uuid.UUID | None) -> None:
    """Ends the session the access token belongs to: its access and refresh tokens stop working."""
    if session_id is None:
        return
    with write_unit(session):
        auth = session.get(AuthSession, session_id, with_for_update=True)
        if auth is not None and auth.revoked_at is None:
            auth.revoked_at = utcnow()
            session.add(auth)


def user_for_access_token(*, session: Session, secret: str, token: str) -> tuple[User, uuid.UUID | None] | None:
    """The active user an access token speaks for, and its session; None when the token no longer counts."""
    return _user_for(session=session, claims=security.read_claims(secret=secret, token=token, kind="access"))


def _user_for(*, session: Session, claims: security.TokenClaims | None) -> tuple[User, uuid.UUID | None] | None:
    if claims is None:
        return None
    if claims.session_id is None:
        user, auth = session.get(User, claims.user_id), None
    else:  # the user and the session in one query: this runs on every request
        row = session.exec(
            select(User, AuthSession)
            .join(AuthSession, AuthSession.user_id == User.id)
            .where(User.id == claims.user_id, AuthSession.id == claims.session_id)
        ).first()
        if row is None:
            return None
        user, auth = row
    if user is None or not user.is_active or user.token_generation != claims.generation:
        return None
    if auth is not None and auth.revoked_at is not None:
        return None
    return user, claims.session_id
