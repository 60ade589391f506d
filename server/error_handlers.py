"""One set of handlers turns every error into {"detail", "code", "params"}: a sentence a person can act on,
in the language the request asks for (Accept-Language; Chinese unless English is asked for)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from rulebook.messages import RuleViolation, language, render
from server.audit.service import current_request_id
from server.errors import DomainError, from_rule

log = logging.getLogger("saferound")

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "no_such_path",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_format",
}


def error_response(
    request: Request,
    status: int,
    code: str,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    params = params or {}
    lang = language(request.headers.get("accept-language"))
    body = {"detail": render(code, params, lang), "code": code, "params": params, **extra}
    return JSONResponse(
        body, status_code=status, headers={"Content-Language": "zh-CN" if lang == "zh" else "en", **(headers or {})}
    )


def plain_error_response(scope: Any, status: int, code: str, params: dict[str, Any] | None = None) -> JSONResponse:
    """The same error body for middleware, which answers before a Request exists."""
    return error_response(Request(scope), status, code, params)


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """pydantic's error list as the fields a person can fix: where, what kind of problem, its limits."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "form")]
        ctx = {k: v if isinstance(v, (int, float, str)) else str(v) for k, v in (err.get("ctx") or {}).items()}
        inner = ctx.pop("field", "")  # a model-level check names the field below the model it checked
        field = ".".join([*loc, inner] if inner else loc)
        out.append({"field": field, "type": err.get("type", "value_error"), "ctx": ctx})
    return out


def _headers_for(exc: DomainError) -> dict[str, str] | None:
    if exc.status_code == 401:
        return {"WWW-Authenticate": "Bearer"}
    if exc.status_code in (429, 503) and isinstance(exc.params.get("seconds"), int):
        return {"Retry-After": str(exc.params["seconds"])}
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return error_response(
            request,
            exc.status_code,
            exc.code,
            exc.params,
            headers=_headers_for(exc),
            **exc.extra,
        )

    @app.exception_handler(RuleViolation)
    async def rule_violation(request: Request, exc: RuleViolation) -> JSONResponse:
        error = from_rule(exc)
        return error_response(request, error.status_code, error.code, error.params)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request, 422, "invalid_request", {"errors": field_errors(list(exc.errors()))})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "bad_request")
        return error_response(
            request, exc.status_code, code, {"method": request.method}, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(OperationalError)
    async def database_busy(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return error_response(request, 503, "busy", headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        request_id = current_request_id.get()
        return error_response(request, 500, "internal_error", {"request_id": request_id}, request_id=request_id)
