"""Keyset paging shared by the lists: newest first by (created_at, id), an opaque cursor for the next page.

The position is a row-value comparison, `(created_at, id) < (:at, :id)`, never the equivalent OR: PostgreSQL
and SQLite (3.15+) both seek an index on (…, created_at, id) to it, so a page deep in the history costs what
page 1 costs. Each list has an index whose leading columns are its equality filter and whose last two are its
order (migration 0012; tests/server/test_query_plans.py keeps them used)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import DateTime, true, tuple_, union_all
from sqlalchemy.orm import aliased
from sqlmodel import select

from server.db import ids_table
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
        query = query.where(tuple_(model.created_at, model.id) < tuple_(at, last_id))
    return query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)


def newest_first_of_any(queries: Sequence[Any], model: Any, *, cursor: str | None, limit: int) -> Any:
    """Like `newest_first` over the union of `queries` (one per value of a multi-value filter, e.g. several
    statuses): each branch seeks its own index for one page, the merge sorts at most branches × page rows."""
    if len(queries) == 1:
        return newest_first(queries[0], model, cursor=cursor, limit=limit)
    branches = [select(newest_first(q, model, cursor=cursor, limit=limit).subquery()) for q in queries]
    merged = union_all(*branches).subquery()
    # the model's rows, or the columns the queries select (e.g. only the keys, when the database writes JSON)
    rows = [aliased(model, merged)] if queries[0].column_descriptions[0]["expr"] is model else list(merged.c)
    return select(*rows).order_by(merged.c.created_at.desc(), merged.c.id.desc()).limit(limit + 1)


def at_each_site(inner: Any, model: Any, sites: Sequence[uuid.UUID], order: Any) -> Any:
    """PostgreSQL: `inner` (a query already ordered and limited) run at each of `sites` through LATERAL over the
    ids as one array — one index seek a site — merged by `order(columns)`. The same statement for any number of
    sites: nothing to build per site in Python (a UNION of 50 branches is), one plan to cache."""
    site = ids_table(sites, "site")
    per_site = inner.where(model.site_id == site.c.id).lateral("at_site")
    return select(*per_site.c).select_from(site).join(per_site, true()).order_by(*order(per_site.c))


def newest_first_at_sites(query: Any, model: Any, sites: Sequence[uuid.UUID], *, cursor: str | None, limit: int) -> Any:
    """`newest_first` of `query` (selecting created_at and id) over an officer's `sites`, one seek a site."""
    inner = newest_first(query, model, cursor=cursor, limit=limit)
    return at_each_site(inner, model, sites, lambda c: (c.created_at.desc(), c.id.desc())).limit(limit + 1)


def split_page(rows: Sequence[T], limit: int) -> tuple[list[T], str | None]:
    """The page's rows and the cursor for the next page (None on the last)."""
    rows = list(rows)
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.id)  # type: ignore[attr-defined]


# ---- keyset paging on any key: the lists of sites, users, organizations, assignments, trainings, notices ----

MAX_LIMIT = 500
DEFAULT_LIMIT = 100


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size, at most 500")]
Cursor = Annotated[str | None, Query(max_length=400, description="next_cursor of the previous page")]


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` back as `cursor` for the next (null on the last page)."""

    items: list[T]
    next_cursor: str | None


def _encode(key: Any, item_id: uuid.UUID) -> str:
    text = key.isoformat() if isinstance(key, datetime) else str(key)
    return base64.urlsafe_b64encode(f"{text}|{item_id}".encode()).decode()


def _is_time(column: Any) -> bool:
    kind = column.type
    return isinstance(getattr(kind, "impl_instance", kind), DateTime) or isinstance(kind, DateTime)


def keyset(query: Any, key: Any, id_column: Any, *, cursor: str | None, limit: int, descending: bool = False) -> Any:
    """`query` ordered by (key, id), starting after `cursor`, one row more than a page."""
    if cursor:
        try:
            text, _bar, raw_id = base64.urlsafe_b64decode(cursor.encode()).decode().rpartition("|")
            last_id = uuid.UUID(raw_id)
            value: Any = datetime.fromisoformat(text) if _is_time(key) else text
        except (ValueError, UnicodeDecodeError, NotImplementedError):
            raise Invalid("bad_cursor") from None
        position, after = tuple_(key, id_column), tuple_(value, last_id)
        query = query.where(position < after if descending else position > after)
    order = (key.desc(), id_column.desc()) if descending else (key.asc(), id_column.asc())
    return query.order_by(*order).limit(limit + 1)


def cut(rows: Sequence[Any], limit: int, key_name: str) -> tuple[list[Any], str | None]:
    """The page's rows and the cursor after the last of them (None on the last page)."""
    rows = list(rows)
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], _encode(getattr(last, key_name), last.id)
