"""create_app(): routers, error handlers, lifespan. No logic here."""

from __future__ import annotations

import gc
import secrets
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlmodel import Session

from server import security
from server.apidocs import install_api_docs
from server.budgets import BodyLimitMiddleware
from server.checklists import service as checklists
from server.checklists.routes import router as checklists_router
from server.config import Settings, get_settings
from server.db import make_engine, read_engine
from server.error_handlers import install_error_handlers
from server.hazards.routes import router as hazards_router
from server.headers import SecurityHeadersMiddleware
from server.inputs import HostileQueryMiddleware
from server.inspections.routes import router as inspections_router
from server.intake.routes import router as intake_router
from server.jobs import background_jobs
from server.notices.printing import PdfCache, RenderLimiter
from server.notices.routes import router as notices_router
from server.notify.routes import router as notify_router
from server.ops.metrics import MetricsExporter
from server.ops.observe import ObserveRequestsMiddleware
from server.ops.routes import router as ops_router
from server.photos.imaging import DecodeGate
from server.photos.routes import router as photos_router
from server.public.routes import router as public_router
from server.reports.routes import router as reports_router
from server.request_id import RequestIdMiddleware
from server.revisits.routes import router as revisits_router
from server.rounds.routes import router as rounds_router
from server.sites.routes import router as sites_router
from server.sync.routes import router as sync_router
from server.trainings.routes import router as trainings_router
from server.users.routes import router as users_router
from server.web.api import router as console_api_router
from server.web.mount import install_console

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        app.state.token_secret = settings.token_secret()  # first: a weak secret stops the start (WeakSecret)
        # No checklists, no inspections: a missing or empty folder stops the start with its path.
        registry = checklists.ChecklistRegistry.from_directory(settings.checklists_dir)
        engine = make_engine(settings.resolved_database_url)
        with Session(engine) as session:
            checklists.store_current_versions(session=session, registry=registry)
        app.state.settings = settings
        app.state.engine = engine
        app.state.read_engine = read_engine(engine)
        app.state.metrics = MetricsExporter(engine, photo_cache_seconds=settings.metrics_photo_bytes_cache_seconds)
        app.state.checklists = registry
        app.state.hasher = security.make_password_hasher(
            time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib
        )
        app.state.decode_gate = DecodeGate(settings.photo_decode_concurrency, settings.photo_decode_wait_seconds)
        app.state.notice_pdfs = PdfCache(settings.notice_pdf_cache_mb * 1024 * 1024)
        app.state.notice_pdf_limiter = RenderLimiter(settings.notice_pdf_renders_per_minute)
        # Unknown usernames are checked against this, so a sign-in takes as long whether the user exists.
        app.state.dummy_hash = app.state.hasher.hash(secrets.token_hex(16))
        app.state.password_verifier = security.PasswordVerifier(
            app.state.hasher, concurrency=settings.password_check_concurrency
        )
        # What the start built (modules, routes, metadata, templates) lives as long as the server: frozen out of
        # the collector's way, the full collections a city-sized read sets off (the board's or the map's
        # thousands of rows) walk what requests allocate, not the whole app (issue 11: ~50 ms a board).
        gc.freeze()
        try:
            async with background_jobs(engine, settings):
                yield
        finally:
            gc.unfreeze()
            app.state.password_verifier.close()
            app.state.decode_gate.close()
            engine.dispose()

    app = FastAPI(
        title="SafeRound API",
        summary="社区安全巡查 · Community safety rounds: checklists, hazards, rectification notices, trainings.",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    install_api_docs(app, f"{API_PREFIX}/openapi.json")
    app.add_middleware(HostileQueryMiddleware)
    app.add_middleware(
        BodyLimitMiddleware, json_max_bytes=settings.json_max_bytes, upload_max_bytes=settings.photo_max_bytes
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(ObserveRequestsMiddleware)  # inside RequestIdMiddleware: its access line has the id
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    for router in (
        console_api_router,  # before hazards: /hazards/export.xlsx is not a hazard id
        users_router,
        sites_router,
        checklists_router,
        inspections_router,
        hazards_router,
        trainings_router,
        rounds_router,
        notices_router,
        sync_router,
        photos_router,
        reports_router,
        notify_router,
        intake_router,
        revisits_router,
    ):
        app.include_router(router, prefix=API_PREFIX)

    app.include_router(ops_router)  # /healthz, /readyz, /metrics

    @app.get(f"{API_PREFIX}/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(public_router)  # /r/{code} and /t/{tracking}: residents' pages, no sign-in
    install_console(app)  # last: the console's pages live at /
    return app
