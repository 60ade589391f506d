"""/healthz (the process answers), /readyz (it can serve: database, schema, photo store) and /metrics."""

from __future__ import annotations

import ipaddress
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from rulebook.messages import language, render
from server.errors import Forbidden, Unauthorized
from server.ops.health import readiness

# Not in the API schema: probes and scrapers, not clients, call these (docs/deploy.md).
router = APIRouter(tags=["operations"], include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Alive: answers without touching the database (a liveness probe restarts only a stuck process)."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: 200, or 503 naming each check that failed in a sentence."""
    results = await readiness(request.app.state.engine, request.app.state.settings)
    lang = language(request.headers.get("accept-language"))
    failed = [r for r in results if r.code]
    checks = {r.name: "ok" if r.code is None else render(r.code, r.params, lang) for r in results}
    if failed:
        body = {
            "status": "unavailable",
            "detail": " ".join(checks[r.name] for r in failed),
            "code": failed[0].code,
            "failed": [r.name for r in failed],
            "checks": checks,
        }
        return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
    body = {"status": "ok", "detail": render("ready", {}, lang), "checks": checks}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _loopback(request: Request) -> bool:
    try:
        return request.client is not None and ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus text format. With SAFEROUND_METRICS_TOKEN set, a bearer token is needed; without it only
    loopback clients are answered (a reverse proxy in front should not pass /metrics on)."""
    token = request.app.state.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if not secrets.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise Unauthorized("metrics_token_required")
    elif not _loopback(request):
        raise Forbidden("metrics_loopback_only")
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
