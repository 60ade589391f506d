"""Browser sign-in: a signed session cookie (HttpOnly, SameSite=Lax, Secure behind HTTPS) and CSRF tokens.

The cookie carries the same signed token the API uses (kind "web"); the CSRF token is an HMAC of a random
per-browser seed cookie, sent back in every state-changing form (or the X-CSRF-Token header for htmx)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from fastapi import Request, Response
from sqlmodel import Session

from server import security
from server.users import sessions
from server.users.models import User

SESSION_COOKIE = "saferound_session"
SEED_COOKIE = "saferound_csrf"
LANG_COOKIE = "saferound_lang"
SESSION_HOURS = 12


def is_https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def set_cookie(request: Request, response: Response, key: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(key, value, max_age=max_age, httponly=True, samesite="lax", secure=is_https(request), path="/")


def sign_in(request: Request, response: Response, user: User, session_id: uuid.UUID) -> None:
    token = security.create_token(
        secret=request.app.state.token_secret,
        user_id=user.id,
        kind="web",
        lifetime=timedelta(hours=SESSION_HOURS),
        session_id=session_id,
        generation=user.token_generation,
    )
    set_cookie(request, response, SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600)
    # A fresh CSRF seed with every sign-in: tokens from before do not carry over.
    set_cookie(request, response, SEED_COOKIE, secrets.token_urlsafe(24))


def sign_out(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(SEED_COOKIE, path="/")


def current_user(request: Request) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with Session(request.app.state.read_engine, expire_on_commit=False) as session:
        found = sessions.user_for_web_token(session=session, secret=request.app.state.token_secret, token=token)
    return found[0] if found else None


def session_id(request: Request) -> uuid.UUID | None:
    """The sign-in session the console cookie belongs to (to end it at sign-out)."""
    token = request.cookies.get(SESSION_COOKIE)
    claims = security.read_claims(secret=request.app.state.token_secret, token=token, kind="web") if token else None
    return claims.session_id if claims else None


def csrf_seed(request: Request) -> str:
    """The browser's seed; a new one is made (and set by `ensure_seed`) when it has none."""
    seed = request.cookies.get(SEED_COOKIE) or getattr(request.state, "new_csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(24)
        request.state.new_csrf_seed = seed
    return seed


def csrf_token(request: Request) -> str:
    secret = request.app.state.token_secret.encode()
    return hmac.new(secret, b"csrf:" + csrf_seed(request).encode(), hashlib.sha256).hexdigest()


def ensure_seed(request: Request, response: Response) -> None:
    seed = getattr(request.state, "new_csrf_seed", None)
    if seed and not request.cookies.get(SEED_COOKIE):
        set_cookie(request, response, SEED_COOKIE, seed)


def csrf_ok(request: Request, submitted: str | None) -> bool:
    seed = request.cookies.get(SEED_COOKIE)
    if not seed or not submitted:
        return False
    secret = request.app.state.token_secret.encode()
    expected = hmac.new(secret, b"csrf:" + seed.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, submitted)


def language_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE)
    return lang if lang in ("zh", "en") else "zh"
