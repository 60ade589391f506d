"""Password hashing (Argon2) and signed tokens. No FastAPI here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

ALGORITHM = "HS256"


def make_password_hasher(*, time_cost: int = 3, memory_kib: int = 65536) -> PasswordHash:
    return PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib),))


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
