"""The one edge every client input passes: shared pydantic bases and types that refuse what the database
or a reader cannot take — control characters, explicit null on a field a PATCH cannot clear, integers that
do not fit a column, non-finite numbers, times without an offset or outside 2000–2100 — as 422 with a
sentence, before any service runs (so nothing is half-written). Query strings get the same character check
in `HostileQueryMiddleware`."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar
from urllib.parse import unquote_to_bytes

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError
from starlette.types import ASGIApp, Receive, Scope, Send

# Integer columns are 32-bit on PostgreSQL; no count, version or size a client sends needs more.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
YEAR_MIN, YEAR_MAX = 2000, 2100
ALLOWED_CONTROLS = frozenset("\t\n\r")  # the controls a text may hold


# Unicode's control characters (category Cc: U+0000–001F, U+007F–009F) and surrogates (Cs: U+D800–DFFF),
# less tab, newline and carriage return. One regex search instead of a category lookup per character: every
# text of every body passes here (tests/server/test_inputs_characters.py checks it against unicodedata).
_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def bad_character(text: str) -> str | None:
    """The first character a text field may not hold (control characters, NUL, lone surrogates), or None."""
    found = _BAD.search(text)
    return found.group() if found else None


def _where(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path)


def _check_value(value: Any, path: tuple[Any, ...]) -> None:
    if isinstance(value, str):
        ch = bad_character(value)
        if ch is not None:
            raise PydanticCustomError(
                "control_character", "control character", {"field": _where(path), "codepoint": f"U+{ord(ch):04X}"}
            )
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            raise PydanticCustomError("number_out_of_range", "number out of range", {"field": _where(path)})
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError("finite_number", "not finite", {"field": _where(path)})
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, path)
            _check_value(item, (*path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_value(item, (*path, index))


class InputModel(BaseModel):
    """Base of every body a client sends: unknown fields refused, text stripped, hostile values refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_hostile_values(cls, data: Any) -> Any:
        if isinstance(data, dict):
            _check_value(data, ())
        return data


def _document_null_only_where_allowed(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The OpenAPI says null only for the fields a PATCH may clear, as the server enforces."""
    clearable = getattr(model, "may_clear", frozenset())
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf")
        if name in clearable or not options:
            continue
        kept = [o for o in options if o.get("type") != "null"]
        if len(kept) == 1:
            prop.pop("anyOf")
            prop.update(kept[0])
        else:
            prop["anyOf"] = kept
        if prop.get("default", 0) is None:
            prop.pop("default")


class PatchModel(InputModel):
    """Base of PATCH bodies: a field left out is unchanged; an explicit null clears only the fields named in
    `may_clear` and is refused on every other field (a null name or profile would break every reader)."""

    model_config = ConfigDict(json_schema_extra=_document_null_only_where_allowed)
    may_clear: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _refuse_null_on_required(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None and key in cls.model_fields and key not in cls.may_clear:
                    raise PydanticCustomError("null_not_allowed", "null not allowed", {"field": key})
        return data


def _in_calendar(value: datetime) -> datetime:
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise PydanticCustomError("year_out_of_range", "year out of range", {"min": YEAR_MIN, "max": YEAR_MAX})
    return value.astimezone(UTC)


def _date_in_calendar(value: date) -> date:
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise PydanticCustomError("year_out_of_range", "year out of range", {"min": YEAR_MIN, "max": YEAR_MAX})
    return value


def _year_in_calendar(value: datetime) -> datetime:
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise PydanticCustomError("year_out_of_range", "year out of range", {"min": YEAR_MIN, "max": YEAR_MAX})
    return value


# Times from clients (bodies and query strings) carry an offset and lie within 2000–2100; kept in UTC.
UTCTime = Annotated[AwareDatetime, AfterValidator(_in_calendar)]
# A camera's clock may lack an offset (read in the deployment's zone by the service); the years still hold.
CameraTime = Annotated[datetime, AfterValidator(_year_in_calendar)]
CalendarDate = Annotated[date, AfterValidator(_date_in_calendar)]


class HostileQueryMiddleware:
    """Refuses a query string or path holding control characters (NUL cannot even be stored on PostgreSQL)
    with 422 before any route reads it."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = unquote_to_bytes(scope.get("query_string", b"")).decode("utf-8", "replace")
            ch = bad_character(raw) or bad_character(scope.get("path", ""))
            if ch is not None:
                from server.error_handlers import plain_error_response

                response = plain_error_response(
                    scope, 422, "control_character_in_query", {"codepoint": f"U+{ord(ch):04X}"}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
