"""Security headers on every answer: no MIME sniffing, no framing, no referrer; a CSP for the HTML pages
SafeRound serves (pages that set their own keep it); and no-store on JSON answered to a signed-in caller,
so a shared computer's cache never keeps someone's data."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Receive, Scope, Send

HTML_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = dict(scope["headers"])
        signed_in = b"authorization" in request_headers or b"cookie" in request_headers

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "no-referrer")
                content_type = headers.get("content-type", "")
                if content_type.startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", HTML_CSP)
                else:
                    headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
                if signed_in and content_type.startswith("application/json"):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
