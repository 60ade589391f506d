"""One set of handlers turns every error into {"detail", "code"} with a sentence a person can act on."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.audit.service import current_request_id
from server.errors import DomainError

log = logging.getLogger("saferound")

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 406: "not_acceptable", 413: "too_large", 415: "unsupported_media_type",
              422: "invalid", 429: "too_many_requests"}


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
