"""Domain errors and the one place that turns any error into {"detail", "code", "params"}.

Services raise a DomainError with a code from `rulebook.messages` and the parameters of its sentence;
the handler writes `detail` in the language of the request's Accept-Language (Chinese unless English is
asked for). Clients that know the code render it in their own language from the same templates."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from rulebook.messages import MESSAGES, RuleViolation, language, render

log = logging.getLogger("saferound")


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, code: str | None = None, /, *, extra: dict[str, Any] | None = None, **params: Any):
        self.code = code or self.code
        if self.code not in MESSAGES:
            raise ValueError(f"no message for error code {self.code!r}: add it to rulebook/messages.py")
        self.params = params
        self.extra = extra or {}  # further fields of the body, e.g. the current hazard with a 412
        super().__init__(render(self.code, params, "en"))

    def detail(self, lang: str) -> str:
        return render(self.code, self.params, lang)


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Unauthorized(DomainError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    status_code = 409
    code = "id_conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class PreconditionFailed(DomainError):
    status_code = 412
    code = "stale_version"


class Invalid(DomainError):
    status_code = 422
    code = "bad_request"


class TooManyRequests(DomainError):
    status_code = 429
    code = "login_throttled"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "too_large"


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_format"


def not_found(record: str) -> NotFound:
    """The one answer for 'missing or outside your scope' — both must look the same. `record`: hazard, notice…"""
    return NotFound(record=record)


# How the server answers a rule the rulebook enforces: a step the state does not allow is a conflict,
# a role that may not take it is forbidden, missing evidence is an invalid request.
RULE_STATUS = {"invalid_transition": 409, "use_notices": 409, "no_organization": 409, "role_not_allowed": 403}


def from_rule(violation: RuleViolation) -> DomainError:
    error = DomainError(violation.code, **violation.params)
    error.status_code = RULE_STATUS.get(violation.code, 422)
    return error


HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "no_such_path",
              405: "method_not_allowed", 413: "too_large", 415: "unsupported_format"}


def error_response(request: Request, status: int, code: str, params: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    params = params or {}
    lang = language(request.headers.get("accept-language"))
    body = {"detail": render(code, params, lang), "code": code, "params": params, **extra}
    return JSONResponse(body, status_code=status, headers={"Content-Language": "zh-CN" if lang == "zh" else "en",
                                                           **(headers or {})})


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """pydantic's error list as the fields a person can fix: where, what kind of problem, its limits."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "form")]
        ctx = {k: v if isinstance(v, (int, float, str)) else str(v) for k, v in (err.get("ctx") or {}).items()}
        out.append({"field": ".".join(loc), "type": err.get("type", "value_error"), "ctx": ctx})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return error_response(request, exc.status_code, exc.code, exc.params,
                              headers={"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None, **exc.extra)

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
        return error_response(request, exc.status_code, code, {"method": request.method},
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    async def database_busy(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return error_response(request, 503, "busy", headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        from server.audit.service import current_request_id

        log.exception("unhandled error", exc_info=exc)
        return error_response(request, 500, "internal_error", request_id=current_request_id.get())
