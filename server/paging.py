"""Keyset paging shared by the lists: newest first by (created_at, id), an opaque cursor for the next page."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, or_

from server.errors import Invalid

T = TypeVar("T")


def encode_cursor(created_at: datetime, item_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{item_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        stamp, item_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(stamp), uuid.UUID(item_id)
    except (ValueError, UnicodeDecodeError):
        raise Invalid("bad_cursor") from None


def newest_first(query: Any, model: Any, *, cursor: str | None, limit: int) -> Any:
    """`query` ordered newest first, starting after `cursor`, one row more than a page (to see if more follow)."""
    if cursor:
        at, last_id = decode_cursor(cursor)
        query = query.where(or_(model.created_at < at, and_(model.created_at == at, model.id < last_id)))
    return query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)


def split_page(rows: Sequence[T], limit: int) -> tuple[list[T], str | None]:
    """The page's rows and the cursor for the next page (None on the last)."""
    rows = list(rows)
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.id)  # type: ignore[attr-defined]
