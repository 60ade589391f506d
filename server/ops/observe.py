"""One middleware per request: its latency and status into the metrics, by route template (never the raw
path: ids would make a label per record), and one access log line carrying the request id."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from server.audit.service import current_request_id
from server.ops.metrics import record_response

access_log = logging.getLogger("saferound.access")


class RouteTemplates:
    """Full path templates by route object. FastAPI keeps an included router's routes as they were declared
    (without the prefix) and puts that object in scope["route"]; the full template comes from its context."""

    def __init__(self) -> None:
        self._by_route: dict[int, str] | None = None

    def _build(self, app: Any) -> dict[int, str]:
        by_route: dict[int, str] = {}
        for context in iter_route_contexts(app.routes):
            path = context.path_format or context.path
            if path:
                by_route.setdefault(id(context.original_route), path)
                by_route.setdefault(id(context.route), path)
        return by_route

    def __call__(self, scope: Scope) -> str:
        """The matched route's template (/api/v1/hazards/{hazard_id}); "unmatched" when none matched."""
        route = scope.get("route")
        if route is None:
            return "unmatched"
        if self._by_route is None:
            self._by_route = self._build(scope["app"])
        path = self._by_route.get(id(route)) or getattr(route, "path_format", None) or "unmatched"
        if isinstance(route, Mount) and not path.endswith("{path}"):
            path = path.rstrip("/") + "/{path}"
        return path


class ObserveRequestsMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app
        self.route_template = RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the caller gets if the app raises before answering (RequestIdMiddleware answers it)

        async def send_and_note(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            seconds = time.perf_counter() - started
            route, method = self.route_template(scope), scope["method"]
            record_response(route, method, status, seconds)
            client = scope.get("client")
            access_log.info(
                '%s "%s %s" %d %.1f ms request %s',
                client[0] if client else "-",
                method,
                scope.get("path", ""),
                status,
                seconds * 1000,
                current_request_id.get(),
                extra={
                    "method": method,
                    "route": route,
                    "path": scope.get("path", ""),
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client": client[0] if client else None,
                },
            )
