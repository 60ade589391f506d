"""Every request gets an id the server makes (the caller's X-Request-ID is kept apart, as client_request_id),
answered in X-Request-ID on every response — a 500 included, whose body carries it too."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from server.audit.service import current_client_request_id, current_request_id
from server.inputs import bad_character

log = logging.getLogger("saferound")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")[:64]
        token = current_request_id.set(request_id)
        client_token = current_client_request_id.set(given if given and not bad_character(given) else None)
        started = False

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [
                    *[(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Answered here, inside the request's context, so the 500 keeps its id (Starlette's last-resort
            # handler runs outside every middleware).
            if started:
                raise
            log.exception("unhandled error (request %s)", request_id, exc_info=exc)
            from server.error_handlers import plain_error_response

            response = plain_error_response(scope, 500, "internal_error", {"request_id": request_id})
            response.headers["X-Request-ID"] = request_id
            await response(scope, receive, send)
        finally:
            current_request_id.reset(token)
            current_client_request_id.reset(client_token)
