"""Domain errors: services raise these; server/error_handlers.py answers them as {"detail", "code", "params"}.

Services raise a DomainError with a code from `rulebook.messages` and the parameters of its sentence;
the handler writes `detail` in the language of the request's Accept-Language (Chinese unless English is
asked for). Clients that know the code render it in their own language from the same templates."""

from __future__ import annotations

from typing import Any

from rulebook.messages import MESSAGES, RuleViolation, render


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


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "busy"


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
