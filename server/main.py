"""create_app(): routers, error handlers, lifespan. No logic here."""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from server import security
from server.audit.service import current_request_id
from server.checklists import service as checklists
from server.checklists.routes import router as checklists_router
from server.checklists.templates import default_checklists_dir
from server.config import Settings, get_settings
from server.db import make_engine
from server.hazards.escalation import refresh_escalations
from server.errors import DomainError
from server.hazards.routes import router as hazards_router
from server.inspections.routes import router as inspections_router
from server.notices.routes import router as notices_router
from server.photos.routes import router as photos_router
from server.rounds.routes import router as rounds_router
from server.sites.routes import router as sites_router
from server.sync.routes import router as sync_router
from server.trainings.routes import router as trainings_router
from server.users.routes import router as users_router

log = logging.getLogger("saferound")

API_PREFIX = "/api/v1"
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 406: "not_acceptable", 413: "too_large", 415: "unsupported_media_type",
              422: "invalid", 429: "too_many_requests"}


class RequestIdMiddleware:
    """Gives every request an id (or keeps the caller's X-Request-ID) for logs and the audit trail."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")[:64]
        request_id = given or uuid.uuid4().hex
        token = current_request_id.set(request_id)

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)


def describe_validation_errors(errors: list[dict[str, Any]]) -> str:
    """One sentence a person can act on, from pydantic's error list."""
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "form")]
        where = ".".join(loc) or "request"
        if err.get("type") == "extra_forbidden":
            parts.append(f"'{where}' is not a field you can set here")
        elif err.get("type") == "missing":
            parts.append(f"'{where}' is required")
        elif err.get("type") == "json_invalid":
            parts.append("the body is not valid JSON")
        else:
            parts.append(f"'{where}': {err.get('msg', 'is not valid')}")
    return "Check the request: " + "; ".join(parts) + "."


def error_body(detail: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "code": code, **extra}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(error_body(exc.detail, exc.code, **exc.extra), status_code=exc.status_code,
                            headers={"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse(error_body(describe_validation_errors(errors), "invalid_request", errors=errors),
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and detail == "Not Found":
            detail = "There is no such address in the SafeRound API; see /docs."
        return JSONResponse(error_body(detail, HTTP_CODES.get(exc.status_code, "error")),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    async def database_busy(_request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return JSONResponse(error_body("The server is busy right now; nothing was saved. Try again in a moment.",
                                       "busy"), status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("Something went wrong on the server. It was logged; try again later.",
                                       "internal_error", request_id=current_request_id.get()), status_code=500)


async def escalate_periodically(engine: Engine, settings: Settings) -> None:
    """Keep overdue and escalation levels current without anyone calling an endpoint."""
    while True:
        try:
            await asyncio.to_thread(run_escalation, engine, settings)
        except Exception:  # a failed round is logged and retried next interval
            log.exception("escalation round failed")
        await asyncio.sleep(settings.escalation_interval_seconds)


def run_escalation(engine: Engine, settings: Settings) -> int:
    with Session(engine) as session:
        return refresh_escalations(session=session, settings=settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        engine = make_engine(settings.resolved_database_url)
        registry = checklists.ChecklistRegistry.from_directory(settings.checklists_dir or default_checklists_dir())
        with Session(engine) as session:
            checklists.store_current_versions(session=session, registry=registry)
        app.state.settings = settings
        app.state.engine = engine
        app.state.checklists = registry
        app.state.token_secret = settings.token_secret()
        app.state.hasher = security.make_password_hasher(time_cost=settings.argon2_time_cost,
                                                         memory_kib=settings.argon2_memory_kib)
        escalator = None
        if settings.escalation_interval_seconds > 0:
            escalator = asyncio.create_task(escalate_periodically(engine, settings))
        try:
            yield
        finally:
            if escalator:
                escalator.cancel()
            engine.dispose()

    app = FastAPI(
        title="SafeRound API",
        summary="社区安全巡查 · Community safety rounds: checklists, hazards, rectification notices, trainings.",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
    )
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    for router in (users_router, sites_router, checklists_router, inspections_router, hazards_router,
                   trainings_router, rounds_router, notices_router, sync_router, photos_router):
        app.include_router(router, prefix=API_PREFIX)

    @app.get(f"{API_PREFIX}/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
