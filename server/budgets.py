"""Request-body budget, enforced before the body is read and before authentication: a declared
Content-Length over the limit is refused at once; a body without one is counted as it streams and cut off
at the limit. JSON bodies get `json_max_bytes`; multipart uploads get the photo limit plus form overhead."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.photos.upload import FORM_OVERHEAD


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, json_max_bytes: int, upload_max_bytes: int):
        self.app = app
        self.json_max_bytes = json_max_bytes
        self.upload_max_bytes = upload_max_bytes + FORM_OVERHEAD

    def limit_for(self, scope: Scope) -> int:
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        return self.upload_max_bytes if content_type == b"multipart/form-data" else self.json_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False  # the server underneath answers a malformed length
            if too_large:
                await self._refuse(scope, receive, send, limit)
                return
        received = 0
        started = refused = False

        async def counting_receive() -> Message:
            # Past the limit the app is told the client left; the 413 is sent from here, once.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not started:
                    refused = True
                    await self._refuse(scope, receive, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        from server.error_handlers import plain_error_response

        response = plain_error_response(scope, 413, "body_too_large", {"limit_mb": f"{limit / 1024 / 1024:.0f}"})
        response.headers["Connection"] = "close"  # the unread rest of the body is not waited for
        await response(scope, receive, send)
