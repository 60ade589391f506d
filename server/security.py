"""Password hashing (Argon2) and signed tokens. No FastAPI here."""

from __future__ import annotations

import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

ALGORITHM = "HS256"


def make_password_hasher(*, time_cost: int = 3, memory_kib: int = 65536) -> PasswordHash:
    return PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib),))


def _lower_priority(niceness: int) -> None:
    """This thread (and the Argon2 lane threads it starts, which inherit it) yields the CPU to requests."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError):  # not Linux, or not allowed: hashing runs at normal priority
        pass


class PasswordVerifier:
    """Checks passwords on a few low-priority threads of their own: at most `concurrency` Argon2 runs at once
    (each takes its memory cost), and while requests want the CPU, hashing waits — a burst of sign-ins
    cannot slow everyone else's writes."""

    def __init__(self, hasher: PasswordHash, *, concurrency: int = 2, niceness: int = 10):
        self.hasher = hasher
        self._pool = ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="password", initializer=_lower_priority, initargs=(niceness,)
        )

    def verify(self, password: str, password_hash: str) -> bool:
        return self._pool.submit(self.hasher.verify, password, password_hash).result()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def create_token(
    *,
    secret: str,
    user_id: uuid.UUID,
    kind: str,
    lifetime: timedelta,
    now: datetime | None = None,
    session_id: uuid.UUID | None = None,
    generation: int = 0,
    jti: str | None = None,
) -> str:
    now = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": str(user_id),
        "typ": kind,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": jti or uuid.uuid4().hex,
        "gen": generation,
    }
    if session_id is not None:
        claims["sid"] = str(session_id)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    generation: int
    session_id: uuid.UUID | None
    jti: str


def read_claims(*, secret: str, token: str, kind: str) -> TokenClaims | None:
    """What a valid, unexpired token of this kind says; None for anything else (wrong kind, alg, signature)."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "typ"]})
    except jwt.PyJWTError:
        return None
    if claims.get("typ") != kind:
        return None
    try:
        generation = claims.get("gen", 0)
        if not isinstance(generation, int):
            return None
        sid = claims.get("sid")
        return TokenClaims(
            user_id=uuid.UUID(claims["sub"]),
            generation=generation,
            session_id=uuid.UUID(sid) if sid else None,
            jti=str(claims.get("jti", "")),
        )
    except (ValueError, TypeError, AttributeError):
        return None


def read_token(*, secret: str, token: str, kind: str) -> uuid.UUID | None:
    """The user id a valid, unexpired token of this kind names; None for anything else."""
    claims = read_claims(secret=secret, token=token, kind=kind)
    return claims.user_id if claims else None
