"""create_app(): routers, error handlers, lifespan. No logic here."""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from server import security
from server.audit.service import current_request_id
from server.checklists import service as checklists
from server.checklists.routes import router as checklists_router
from server.checklists.templates import default_checklists_dir
from server.config import Settings, get_settings
from server.db import make_engine, write_engine
from server.hazards.escalation import refresh_escalations
from server.errors import install_error_handlers
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


async def escalate_periodically(engine: Engine, settings: Settings) -> None:
    """Keep overdue and escalation levels current without anyone calling an endpoint."""
    while True:
        try:
            await asyncio.to_thread(run_escalation, engine, settings)
        except Exception:  # a failed round is logged and retried next interval
            log.exception("escalation round failed")
        await asyncio.sleep(settings.escalation_interval_seconds)


def run_escalation(engine: Engine, settings: Settings) -> int:
    with Session(write_engine(engine)) as session:
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
