"""Password hashing (Argon2) and signed tokens. No FastAPI here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

ALGORITHM = "HS256"


def make_password_hasher(*, time_cost: int = 3, memory_kib: int = 65536) -> PasswordHash:
    return PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib),))


def create_token(
    *, secret: str, user_id: uuid.UUID, kind: str, lifetime: timedelta, now: datetime | None = None
) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "typ": kind,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(*, secret: str, token: str, kind: str) -> uuid.UUID | None:
    """The user id a valid, unexpired token of this kind names; None for anything else."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "typ"]})
    except jwt.PyJWTError:
        return None
    if claims.get("typ") != kind:
        return None
    try:
        return uuid.UUID(claims["sub"])
    except (ValueError, TypeError):
        return None
