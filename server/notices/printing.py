"""Printing a notice without letting readers make the server render the same PDF again and again: the PDF is
cached by the notice's version (a digest of everything it shows), photos are embedded at print resolution,
and each user may have only a few renders a minute (cache hits are free)."""

from __future__ import annotations

import hashlib
import io
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import asdict

from PIL import Image

from server.errors import TooManyRequests
from server.notices.pdf import NoticeDocument, render_notice_pdf

PRINT_PX = 600  # 70 mm wide on A4 at about 220 dpi


def document_version(document: NoticeDocument) -> str:
    """Changes whenever anything the printed notice shows changes (receipt, hazards, their photos)."""
    return hashlib.sha256(repr(sorted(asdict(document).items())).encode()).hexdigest()[:32]


def at_print_resolution(jpeg: bytes) -> bytes:
    image = Image.open(io.BytesIO(jpeg))
    image.draft("RGB", (PRINT_PX, PRINT_PX))
    image = image.convert("RGB")
    image.thumbnail((PRINT_PX, PRINT_PX))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


class PdfCache:
    """Rendered PDFs by version, least recently used dropped first, bounded in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            pdf = self._items.get(key)
            if pdf is not None:
                self._items.move_to_end(key)
            return pdf

    def put(self, key: str, pdf: bytes) -> None:
        if len(pdf) > self.max_bytes:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = pdf
            self._size += len(pdf)
            while self._size > self.max_bytes:
                _old, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)


class RenderLimiter:
    """At most `per_minute` renders per user in any 60 s; past that 429 with the seconds to wait."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._renders: dict[uuid.UUID, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, user_id: uuid.UUID) -> None:
        now = time.monotonic()
        with self._lock:
            recent = self._renders.setdefault(user_id, deque())
            while recent and now - recent[0] >= 60:
                recent.popleft()
            if len(recent) >= self.per_minute:
                raise TooManyRequests("pdf_throttled", seconds=int(60 - (now - recent[0])) + 1)
            recent.append(now)


def printed_notice(
    *,
    document: NoticeDocument,
    user_id: uuid.UUID,
    cache: PdfCache,
    limiter: RenderLimiter,
    photo_loader: Callable[[uuid.UUID], bytes | None],
    tz,  # type: ignore[no-untyped-def]
) -> tuple[bytes, str]:
    """(pdf, version): from the cache, or rendered (counted against the user's budget) and cached."""
    version = document_version(document)
    pdf = cache.get(version)
    if pdf is None:
        limiter.take(user_id)

        def print_photo(photo_id: uuid.UUID) -> bytes | None:
            data = photo_loader(photo_id)
            return at_print_resolution(data) if data else None

        pdf = render_notice_pdf(document, tz=tz, photo_loader=print_photo)
        cache.put(version, pdf)
    return pdf, version
