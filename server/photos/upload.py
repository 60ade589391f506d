"""Reading a photo upload from the request stream, with the size cap enforced as the bytes arrive.

The body is parsed here rather than by FastAPI's Form()/UploadFile: those read (and spool to disk)
the whole body before the route runs, so an oversized upload would be received in full first."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from server.errors import DomainError, Invalid, PayloadTooLarge, UnsupportedMediaType
from server.photos.models import PhotoFields

FORM_OVERHEAD = 64 * 1024  # boundaries, part headers and the small fields around the file
MAX_FIELD_BYTES = 1024
MAX_PARTS = 10


@dataclass
class _Part:
    name: str = ""
    is_file: bool = False
    data: bytearray = field(default_factory=bytearray)


class _FormCollector:
    """python-multipart callbacks that keep the form in memory within fixed limits."""

    def __init__(self, max_file_bytes: int, max_field_bytes: int = MAX_FIELD_BYTES):
        self.max_file_bytes = max_file_bytes
        self.max_field_bytes = max_field_bytes
        self.parts: list[_Part] = []
        self.finished = False
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._disposition = b""

    def callbacks(self):  # type: ignore[no-untyped-def]
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        if len(self.parts) >= MAX_PARTS:
            raise Invalid("invalid_form", problem="too_many_parts")
        self.parts.append(_Part())
        self._disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self._header_name).lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        part = self.parts[-1]
        part.name = options.get(b"name", b"").decode("utf-8", "replace")
        part.is_file = b"filename" in options or part.name == "file"

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.parts[-1]
        part.data += data[start:end]
        if part.is_file and len(part.data) > self.max_file_bytes:
            raise too_large(self.max_file_bytes)
        if not part.is_file and len(part.data) > self.max_field_bytes:
            raise Invalid("invalid_form", problem="field_too_long")

    def on_end(self) -> None:
        self.finished = True


def too_large(max_file_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge("too_large", limit_mb=f"{max_file_bytes / 1024 / 1024:.0f}")


@dataclass(frozen=True)
class PhotoUpload:
    content: bytes
    fields: PhotoFields


async def read_photo_upload(request: Request, *, max_file_bytes: int) -> PhotoUpload:
    """The file and its fields, or a clear 4xx; an oversized body is refused before it is read in full."""
    parts = await read_form(request, max_file_bytes=max_file_bytes, max_total_bytes=max_file_bytes + FORM_OVERHEAD)
    return _validate(parts)


async def read_form(
    request: Request, *, max_file_bytes: int, max_total_bytes: int, max_field_bytes: int = MAX_FIELD_BYTES
) -> list[_Part]:
    """A multipart form's parts, kept in memory within the caps; an oversized body is refused as it arrives."""
    content_type, options = parse_options_header(request.headers.get("content-type"))
    if content_type != b"multipart/form-data" or not options.get(b"boundary"):
        raise UnsupportedMediaType("not_multipart")
    limit = max_total_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(max_file_bytes)

    collector = _FormCollector(max_file_bytes, max_field_bytes)
    parser = MultipartParser(options[b"boundary"], collector.callbacks())  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:  # no or a false Content-Length: stop reading at the cap
                raise too_large(max_file_bytes)
            parser.write(chunk)
        parser.finalize()
    except ClientDisconnect:
        raise DomainError("upload_incomplete") from None
    except MultipartParseError:
        raise Invalid("invalid_form", problem="malformed") from None
    if not collector.finished:
        raise DomainError("upload_incomplete")
    return collector.parts


def _validate(parts: list[_Part]) -> PhotoUpload:
    files = [p for p in parts if p.is_file]
    values = {p.name: p.data.decode("utf-8", "replace").strip() for p in parts if not p.is_file}
    errors = []
    if len(files) != 1 or files[0].name != "file":
        errors.append(
            {"loc": ("form", "file"), "type": "missing", "msg": "send exactly one file, in the part named 'file'"}
        )
    try:
        fields = PhotoFields.model_validate({name: value for name, value in values.items() if value != ""})
    except ValidationError as exc:
        errors += [{"loc": ("form", *err["loc"]), "type": err["type"], "msg": err["msg"]} for err in exc.errors()]
    if errors:
        raise RequestValidationError(errors)
    return PhotoUpload(content=bytes(files[0].data), fields=fields)
