"""PostgreSQL writes hazards and notices as their wire JSON itself (issue 11), for the changes feed and the
lists: each record comes back as the exact bytes `HazardPublic` / `NoticePublic` serialize to (pydantic's
compact JSON: fields in the model's order, UUIDs as text, times in UTC as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`,
strings escaped alike), with its extras (photos, latest notice, presence flags; hazards, sites, company)
read by key in the same statement. The admin's whole feed is ~220,000 records: turning each row into
Python objects (UUIDs, datetimes, dicts) and back into JSON cost more than the database's work, and a list
page asked four more statements for its extras.

`tests/server/test_feed_pages.py` checks the bytes against the models for every kind of reader, with nulls,
microseconds, escapes, duplicated photo links and several notices per hazard. SQLite (a phone-sized
history, no need) keeps the models: `writes_json` says which."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from pydantic_core import to_json
from sqlalchemy import text
from sqlmodel import Session

from rulebook.hazards import hazard_id_for
from rulebook.lifecycle import FINISHED_STATUSES
from server.db import on_postgresql
from server.hazards.models import BEFORE_PHOTO_KINDS, HazardPublic
from server.inspections.models import MAYBE_FLAGGED_SQL, InspectionPublic, SignaturePublic
from server.notices.models import NoticePublic


def _uuid(sql: str) -> str:
    return f"""coalesce('"' || {sql} || '"', 'null')"""


def _text(sql: str) -> str:
    # to_json escapes as pydantic does: \" \\ \b \f \n \r \t, other controls as \u00xx, the rest as is
    return f"coalesce(to_json({sql})::text, 'null')"


def _int(sql: str) -> str:
    return f"{sql}::text"


def _time(sql: str) -> str:
    # pydantic writes UTC as Z and microseconds as six digits, only when there are any; ":" escaped for text()
    iso = f"to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24\\:MI\\:SS.US')"
    return f"""coalesce('"' || replace({iso}, '.000000', '') || 'Z"', 'null')"""


def _float(sql: str) -> str:
    """pydantic's float: positional for 1e-5 <= |x| < 1e16 (with ".0" when integral), else an exponent without
    zero padding (1e-6, 1e+16); NaN and ±Infinity as their names. PostgreSQL writes the same shortest digits
    but positional only for 1e-4 <= |x| < 1e15 and pads its exponents (1e-05), so the rest is rewritten."""
    x = f"({sql})"
    digits = r"m[2] || coalesce(m[3], '')"
    parts = rf"FROM regexp_match({x}::text, '^(-?)(\d)(?:\.(\d+))?e[+-]\d+$') AS m"
    return f"""CASE WHEN {x} IS NULL THEN 'null'
        WHEN {x} IN ('NaN', 'Infinity', '-Infinity') THEN {x}::text
        WHEN {x} = 0 THEN {x}::text || '.0'
        WHEN abs({x}) >= 1e16 OR abs({x}) < 1e-5 THEN regexp_replace({x}::text, 'e([+-])0', 'e\\1')
        WHEN abs({x}) >= 1e15 THEN (SELECT m[1] || rpad(left({digits}, 16), 16, '0') || '.'
            || coalesce(nullif(substr({digits}, 17), ''), '0') {parts})
        WHEN abs({x}) < 1e-4 THEN (SELECT m[1] || '0.0000' || {digits} {parts})
        WHEN strpos({x}::text, '.') = 0 THEN {x}::text || '.0'
        ELSE {x}::text END"""


def _list(sql: str) -> str:
    """A JSON array of the strings `sql` aggregates (string_agg of already-quoted items); [] when none."""
    return f"coalesce('[' || ({sql}) || ']', '[]')"


def _pieces(fields: dict[str, str | None], model: type) -> list[str]:
    """The record as texts, `{"name":value,...}` in the model's field order (checked, so they cannot drift),
    cut where a field's value is None: Python writes those values between the pieces."""
    assert list(fields) == list(model.model_fields), f"{model.__name__}'s fields changed: update server/wire_json.py"
    pieces: list[list[str]] = [[]]
    for i, (name, sql) in enumerate(fields.items()):
        opening = "{" if i == 0 else ","
        pieces[-1].append(f"""'{opening}"{name}":'""")
        if sql is None:
            pieces.append([])
        else:
            pieces[-1].append(sql)
    pieces[-1].append("'}'")
    return [" || ".join(piece) for piece in pieces]


def _object(fields: dict[str, str | None], model: type) -> str:
    """The record as one text (no value left to Python)."""
    (whole,) = _pieces(fields, model)
    return whole


_BEFORE = ", ".join(f"'{kind}'" for kind in BEFORE_PHOTO_KINDS)
_FINISHED = ", ".join(f"'{status}'" for status in FINISHED_STATUSES)

_HAZARD = _object(
    {
        "id": _uuid("h.id"),
        "site_id": _uuid("h.site_id"),
        "category": _text("h.category"),
        "item_id": _text("h.item_id"),
        "inspection_id": _uuid("h.inspection_id"),
        "severity": _text("h.severity"),
        "status": _text("h.status"),
        "version": _int("h.version"),
        "deadline": _time("h.deadline"),
        "organization_id": _uuid("h.organization_id"),
        "description": _text("h.description"),
        # each before photo once, in the order first linked (server/hazards/service.py hazard_extras)
        "photo_ids": _list(
            f"""SELECT string_agg('"' || first.photo_id || '"', ',' ORDER BY first.created_at, first.id)
            FROM (SELECT DISTINCT ON (pl.photo_id) pl.photo_id, pl.created_at, pl.id
                  FROM photo_link pl JOIN photo p ON p.id = pl.photo_id
                  WHERE pl.hazard_id = h.id AND p.kind IN ({_BEFORE})
                  ORDER BY pl.photo_id, pl.created_at, pl.id) first"""
        ),
        # the latest notice by (issued_at, id)
        "notice_id": _uuid(
            """(SELECT nh.notice_id FROM notice_hazard nh JOIN notice n ON n.id = nh.notice_id
            WHERE nh.hazard_id = h.id ORDER BY n.issued_at DESC, n.id DESC LIMIT 1)"""
        ),
        "presence_flags": _list(  # from ix_inspection_flagged: most inspections have none
            f"""SELECT string_agg(to_json(flag.value)::text, ',' ORDER BY flag.at)
            FROM inspection i, json_array_elements_text(i.presence_flags) WITH ORDINALITY AS flag(value, at)
            WHERE i.id = h.inspection_id AND {MAYBE_FLAGGED_SQL}"""
        ),
        "source": _text("h.source"),
        "reported_by": _uuid("h.reported_by"),
        "found_at": _time("h.found_at"),
        "overdue": f"CASE WHEN h.status NOT IN ({_FINISHED}) AND h.deadline < :now THEN 'true' ELSE 'false' END",
        "escalation_level": _int("h.escalation_level"),
        "created_at": _time("h.created_at"),
        "updated_at": _time("h.updated_at"),
        "closed_at": _time("h.closed_at"),
    },
    HazardPublic,
)

_NOTICE = _object(
    {
        "id": _uuid("n.id"),
        "number": _text("n.number"),
        "organization_id": _uuid("n.organization_id"),
        "organization_name": "coalesce(to_json(o.name)::text, '\"\"')",
        # its hazards oldest first by (created_at, id), and their sites in that order, each once
        "hazard_ids": "coalesce('[' || linked.hazards || ']', '[]')",
        "site_ids": "coalesce('[' || linked.sites || ']', '[]')",
        "deadline": _time("n.deadline"),
        "basis": _text("n.basis"),
        "note": _text("n.note"),
        "issued_by": _uuid("n.issued_by"),
        "issued_at": _time("n.issued_at"),
        "acknowledged_at": _time("n.acknowledged_at"),
        "acknowledged_by": _uuid("n.acknowledged_by"),
    },
    NoticePublic,
)


# An inspection's answers as AnswerPublic writes them, each answer's photo ids as UUIDs (lower case). The
# column is `json` (text): json_to_recordset parses each inspection's answers once (->> on every field of
# every answer parsed them again: the page's statement took 3.4 ms for 50 inspections instead of 2.2).
_ANSWERS = f"""SELECT string_agg('{{"item_id":' || {_text("a.item_id")} || ',"result":' || {_text("a.result")}
        || ',"note":' || {_text("a.note")} || ',"photo_ids":' || CASE WHEN json_typeof(a.photo_ids) = 'array'
            THEN lower(regexp_replace(a.photo_ids::text, '\\s+', '', 'g')) ELSE '[]' END || '}}', ',' ORDER BY a.at)
    FROM ROWS FROM (json_to_recordset(i.answers) AS (item_id text, result text, note text, photo_ids json))
        WITH ORDINALITY AS a(item_id, result, note, photo_ids, at)"""


def _array(sql: str) -> str:
    """A JSON column holding an array (or NULL, or JSON null: then [])."""
    return f"CASE WHEN json_typeof({sql}) = 'array' THEN {sql} END"


# InspectionPublic, cut at the two values Python writes: hazard_ids (uuid5 of the inspection and the failed
# item: SHA-1, which PostgreSQL has not without an extension) and the signature (kept as the phone sent it;
# SignaturePublic reads it, as to_public does). Each row also carries its failed items, in answer order.
_INSPECTION = _pieces(
    {
        "id": _uuid("i.id"),
        "site_id": _uuid("i.site_id"),
        "category": _text("i.category"),
        "template_version": _int("i.template_version"),
        "inspector_id": _uuid("i.inspector_id"),
        "started_at": _time("i.started_at"),
        "finished_at": _time("i.finished_at"),
        "lat": _float("i.lat"),
        "lon": _float("i.lon"),
        "accuracy_m": _float("i.accuracy_m"),
        "start_lat": _float("i.start_lat"),
        "start_lon": _float("i.start_lon"),
        "start_accuracy_m": _float("i.start_accuracy_m"),
        "answers": _list(_ANSWERS),
        "hazard_ids": None,
        "presence_flags": _list(
            f"""SELECT string_agg(to_json(flag.value)::text, ',' ORDER BY flag.at)
            FROM json_array_elements_text({_array("i.presence_flags")}) WITH ORDINALITY AS flag(value, at)"""
        ),
        "distance_m": _float("i.distance_m"),
        "device_clock_skew_s": _float("i.device_clock_skew_s"),
        "created_at": _time("i.created_at"),
        "participants": _list(
            f"""SELECT string_agg('{{"unit":' || {_text("p.value->>'unit'")}
                || ',"name":' || {_text("p.value->>'name'")} || '}}', ',' ORDER BY p.at)
            FROM json_array_elements({_array("i.participants")}) WITH ORDINALITY AS p(value, at)"""
        ),
        "signature": None,
        "joint": f"""CASE WHEN json_array_length({_array("i.participants")}) > 0 THEN 'true' ELSE 'false' END""",
    },
    InspectionPublic,
)
_FAILED = """ARRAY(SELECT answer.a->>'item_id' FROM json_array_elements(i.answers) WITH ORDINALITY AS answer(a, at)
    WHERE answer.a->>'result' = 'fail' ORDER BY answer.at)"""
INSPECTIONS_SQL = text(
    f"""SELECT i.id, {_INSPECTION[0]}, {_FAILED}, {_INSPECTION[1]},
        CASE WHEN json_typeof(i.signature) = 'object' THEN i.signature::text END, {_INSPECTION[2]}
    FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS page(id, at) JOIN inspection i ON i.id = page.id
    ORDER BY page.at"""
)


def _page(table: str, alias: str, record: str, joins: str = "") -> str:
    # The ids in the page's order; each row by its primary key (a nested loop: a page is ≤ limit rows).
    return f"""SELECT string_agg({record}, ',' ORDER BY page.at)
    FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS page(id, at) JOIN {table} {alias} ON {alias}.id = page.id
    {joins}"""


# A notice's hazards oldest first by (created_at, id), and their sites in that order, each site once.
_NOTICE_JOINS = """LEFT JOIN organization o ON o.id = n.organization_id
    LEFT JOIN LATERAL (
        SELECT string_agg('"' || h.id || '"', ',' ORDER BY h.created_at, h.id) AS hazards,
               string_agg(CASE WHEN h.first THEN '"' || h.site_id || '"' END, ',' ORDER BY h.created_at, h.id) AS sites
        FROM (SELECT h.id, h.site_id, h.created_at,
                     row_number() OVER (PARTITION BY h.site_id ORDER BY h.created_at, h.id) = 1 AS first
              FROM notice_hazard nh JOIN hazard h ON h.id = nh.hazard_id WHERE nh.notice_id = n.id) h
    ) linked ON true"""

HAZARDS_SQL = text(_page("hazard", "h", _HAZARD))
NOTICES_SQL = text(_page("notice", "n", _NOTICE, _NOTICE_JOINS))


def _ids(ids: Sequence[uuid.UUID]) -> str:
    return "{" + ",".join(str(value) for value in ids) + "}"


def hazards_json(session: Session, ids: Sequence[uuid.UUID], now: datetime) -> str:
    """`[HazardPublic, ...]` of `ids`, in that order, as JSON text."""
    if not ids:
        return "[]"
    return "[" + session.execute(HAZARDS_SQL, {"ids": _ids(ids), "now": now}).scalar_one() + "]"


def notices_json(session: Session, ids: Sequence[uuid.UUID]) -> str:
    """`[NoticePublic, ...]` of `ids`, in that order, as JSON text."""
    if not ids:
        return "[]"
    return "[" + session.execute(NOTICES_SQL, {"ids": _ids(ids)}).scalar_one() + "]"


def inspections_json(session: Session, ids: Sequence[uuid.UUID]) -> str:
    """`[InspectionPublic, ...]` of `ids`, in that order, as JSON text."""
    records = []
    for inspection_id, head, failed, middle, signature, tail in session.execute(INSPECTIONS_SQL, {"ids": _ids(ids)}):
        hazard_ids = ",".join(f'"{hazard_id_for(inspection_id, item)}"' for item in failed)
        written = SignaturePublic.model_validate_json(signature).model_dump_json() if signature else "null"
        records.append(f"{head}[{hazard_ids}]{middle}{written}{tail}")
    return "[" + ",".join(records) + "]"


def writes_json(session: Session) -> bool:
    """Whether the database writes the records' JSON (PostgreSQL), or the models do (SQLite)."""
    return on_postgresql(session)


def page_body(items: str, next_cursor: str | None) -> bytes:
    """`Page`'s JSON (server/paging.py) around items already written as a JSON array."""
    return f'{{"items":{items},"next_cursor":{to_json(next_cursor).decode()}}}'.encode()
