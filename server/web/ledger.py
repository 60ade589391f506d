"""The hazard ledger (台账): one filtered, sorted query for the page and for the XLSX/CSV exports.

Exports iterate the same query in batches and stream rows, so 100,000 hazards never sit in memory."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from rulebook.categories import CATEGORY_NAMES, HAZARD_SOURCE_NAMES, SEVERITY_NAMES, name
from rulebook.lifecycle import FINISHED_STATUSES, OPEN_STATUSES, STATUS_NAMES
from server.common import utcnow
from server.config import Settings
from server.hazards.models import Hazard, HazardTransition
from server.notices.models import Notice, NoticeHazard
from server.scope import hazard_condition
from server.sites.models import Site
from server.users.models import Organization, User

SORTS = {
    "found": Hazard.found_at,
    "deadline": Hazard.deadline,
    "severity": case({"red": 0, "yellow": 1, "blue": 2}, value=Hazard.severity, else_=3),
    "status": Hazard.status,
    "site": Site.name,
}


@dataclass
class LedgerFilter:
    status: list[str] | None = None
    severity: str | None = None
    category: str | None = None
    street: str | None = None
    site_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    overdue: bool | None = None
    found_from: date | None = None
    found_to: date | None = None
    text: str | None = None
    source: str | None = None
    sort: str = "found"
    descending: bool = True

    def as_params(self) -> dict[str, str]:
        """The filter as query parameters (for links: export, next page, sort)."""
        out: dict[str, str] = {}
        for key in (
            "severity",
            "category",
            "source",
            "street",
            "site_id",
            "organization_id",
            "found_from",
            "found_to",
            "text",
        ):
            value = getattr(self, key)
            if value not in (None, ""):
                out[key] = str(value)
        if self.status:
            out["status"] = ",".join(self.status)
        if self.overdue is not None:
            out["overdue"] = "1" if self.overdue else "0"
        out["sort"] = self.sort
        out["order"] = "desc" if self.descending else "asc"
        return out

    def describe(self, lang: str) -> str:
        """The filter in words, written above the exported sheet."""
        parts = []
        if self.status:
            parts.append("/".join(name(STATUS_NAMES, s, lang) for s in self.status))
        if self.severity:
            parts.append(name(SEVERITY_NAMES, self.severity, lang))
        if self.category:
            parts.append(name(CATEGORY_NAMES, self.category, lang))
        if self.source:
            parts.append(name(HAZARD_SOURCE_NAMES, self.source, lang))
        for value in (self.street, self.text):
            if value:
                parts.append(value)
        if self.overdue is not None:
            parts.append(
                ("逾期" if lang == "zh" else "overdue")
                if self.overdue
                else ("未逾期" if lang == "zh" else "not overdue")
            )
        if self.found_from or self.found_to:
            parts.append(f"{self.found_from or ''}–{self.found_to or ''}")
        return "; ".join(parts) or ("全部" if lang == "zh" else "all")


@dataclass
class LedgerRow:
    id: uuid.UUID
    found_at: datetime
    site_id: uuid.UUID
    site_name: str
    street: str
    item_id: str | None
    description: str
    category: str
    severity: str
    inspector: str
    company: str | None
    company_phone: str | None
    deadline: datetime
    notice_number: str | None
    evidence_at: datetime | None
    verifier: str | None
    verified_at: datetime | None
    status: str
    closed_at: datetime | None
    source: str = "checklist"

    def days_overdue(self, now: datetime) -> int:
        if self.status in FINISHED_STATUSES or self.deadline >= now:
            return 0
        return (now - self.deadline).days + 1

    def days_open(self, now: datetime) -> int:
        return ((self.closed_at or now) - self.found_at).days


def _query(user: User, f: LedgerFilter, settings: Settings):  # type: ignore[no-untyped-def]
    reporter = aliased(User)
    verifier = aliased(User)
    step = aliased(HazardTransition)
    notice_number = (
        select(func.max(Notice.number))
        .join(NoticeHazard, NoticeHazard.notice_id == Notice.id)
        .where(NoticeHazard.hazard_id == Hazard.id)
        .scalar_subquery()
    )
    evidence_at = (
        select(func.max(step.created_at))
        .where(step.hazard_id == Hazard.id, step.action == "submit_evidence")
        .scalar_subquery()
    )
    verify_step = (
        select(step.actor_id, step.created_at)
        .where(step.hazard_id == Hazard.id, step.action.in_(("verify", "fix_on_spot")))
        .order_by(step.created_at.desc())
        .limit(1)
    )
    verified_at = verify_step.with_only_columns(step.created_at).scalar_subquery()
    verifier_name = (
        select(func.coalesce(func.nullif(verifier.display_name, ""), verifier.username))
        .where(verifier.id == verify_step.with_only_columns(step.actor_id).scalar_subquery())
        .scalar_subquery()
    )
    query = (
        select(
            Hazard.id,
            Hazard.found_at,
            Site.id,
            Site.name,
            Site.street,
            Hazard.item_id,
            Hazard.description,
            Hazard.category,
            Hazard.severity,
            func.coalesce(func.nullif(reporter.display_name, ""), reporter.username),
            Organization.name,
            Organization.phone,
            Hazard.deadline,
            notice_number,
            evidence_at,
            verifier_name,
            verified_at,
            Hazard.status,
            Hazard.closed_at,
            Hazard.source,
        )
        .join(Site, Site.id == Hazard.site_id)
        .join(reporter, reporter.id == Hazard.reported_by)
        .outerjoin(Organization, Organization.id == Hazard.organization_id)
        .where(hazard_condition(user))
    )
    return _filtered(query, f, settings)


def _filtered(query, f: LedgerFilter, settings: Settings):  # type: ignore[no-untyped-def]
    now = utcnow()
    if f.status:
        query = query.where(Hazard.status.in_(f.status))
    if f.severity:
        query = query.where(Hazard.severity == f.severity)
    if f.category:
        query = query.where(Hazard.category == f.category)
    if f.source:
        query = query.where(Hazard.source == f.source)
    if f.street:
        query = query.where(Site.street == f.street)
    if f.site_id:
        query = query.where(Hazard.site_id == f.site_id)
    if f.organization_id:
        query = query.where(Hazard.organization_id == f.organization_id)
    if f.overdue is not None:
        late = and_(Hazard.status.in_(OPEN_STATUSES), Hazard.deadline < now)
        query = query.where(late if f.overdue else ~late)
    if f.found_from:
        query = query.where(Hazard.found_at >= datetime.combine(f.found_from, time(0), settings.tz))
    if f.found_to:
        query = query.where(Hazard.found_at < datetime.combine(f.found_to + timedelta(days=1), time(0), settings.tz))
    if f.text:
        pattern = f"%{f.text}%"
        query = query.where(
            or_(Hazard.description.ilike(pattern), Site.name.ilike(pattern), Hazard.item_id.ilike(pattern))
        )
    return query


def count(*, session: Session, settings: Settings, user: User, f: LedgerFilter) -> int:
    query = select(func.count()).select_from(Hazard).join(Site, Site.id == Hazard.site_id).where(hazard_condition(user))
    return session.exec(_filtered(query, f, settings)).one()


def _ordered(query, f: LedgerFilter):  # type: ignore[no-untyped-def]
    key = SORTS.get(f.sort, Hazard.found_at)
    return query.order_by(key.desc() if f.descending else key.asc(), Hazard.id)


def page(
    *, session: Session, settings: Settings, user: User, f: LedgerFilter, offset: int, limit: int
) -> list[LedgerRow]:
    rows = session.exec(_ordered(_query(user, f, settings), f).offset(offset).limit(limit)).all()
    return [LedgerRow(*row) for row in rows]


def iter_rows(
    *, session: Session, settings: Settings, user: User, f: LedgerFilter, batch: int = 2000
) -> Iterator[LedgerRow]:
    """Every filtered row in order, fetched in batches (server-side cursor where the driver has one)."""
    query = _ordered(_query(user, f, settings), f).execution_options(yield_per=batch)
    for row in session.exec(query):
        yield LedgerRow(*row)


# ---- exports ---------------------------------------------------------------------------------------

# Columns in the order safety offices look for them (CONSOLE.md); (zh header, en header, width).
COLUMNS = [
    ("序号", "No.", 6),
    ("隐患编号", "Hazard no.", 11),
    ("排查时间", "Found at", 17),
    ("社区（村）", "Site", 22),
    ("街道", "Street", 12),
    ("隐患部位", "Item", 24),
    ("隐患描述", "Description", 40),
    ("隐患类别", "Category", 12),
    ("隐患等级", "Severity", 8),
    ("排查人员", "Inspector", 10),
    ("责任单位", "Company", 22),
    ("责任人电话", "Company phone", 14),
    ("整改期限", "Deadline", 17),
    ("通知书编号", "Notice no.", 14),
    ("整改完成时间", "Evidence at", 17),
    ("复查人", "Verifier", 10),
    ("复查时间", "Verified at", 17),
    ("状态", "Status", 10),
    ("逾期天数", "Days overdue", 8),
    ("存续天数", "Days open", 8),
]


def item_title(registry, category: str, item_id: str | None, lang: str) -> str:  # type: ignore[no-untyped-def]
    """The checklist item's prompt in `lang` (the current template's wording); the id when it is gone."""
    template = registry.current.get(category) if registry is not None else None
    item = next((i for i in template.items if i.id == item_id), None) if template and item_id else None
    return getattr(item.prompt, lang) if item else (item_id or "")


def short_number(hazard_id: uuid.UUID) -> str:
    return hazard_id.hex[:8].upper()


def export_values(n: int, row: LedgerRow, now: datetime, settings: Settings, lang: str, title_of=None) -> list:  # type: ignore[no-untyped-def]
    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(settings.tz).replace(tzinfo=None) if moment else None

    return [
        n,
        short_number(row.id),
        local(row.found_at),
        row.site_name,
        row.street,
        (title_of(row.category, row.item_id) if title_of else row.item_id) or "",
        row.description,
        name(CATEGORY_NAMES, row.category, lang),
        name(SEVERITY_NAMES, row.severity, lang),
        row.inspector,
        row.company or "",
        row.company_phone or "",
        local(row.deadline),
        row.notice_number or "",
        local(row.evidence_at),
        row.verifier or "",
        local(row.verified_at),
        name(STATUS_NAMES, row.status, lang),
        row.days_overdue(now),
        row.days_open(now),
    ]


def stream_xlsx(
    rows: Iterator[LedgerRow], *, settings: Settings, lang: str, title: str, described: str, registry=None
) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
    """An .xlsx written with openpyxl's write-only mode (rows go to a temp file, not to memory)."""
    import tempfile

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    now = utcnow()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for i, (_zh, _en, width) in enumerate(COLUMNS):
        sheet.column_dimensions[_column_letter(i)].width = width
    sheet.freeze_panes = "A3"
    caption = WriteOnlyCell(
        sheet,
        value=f"{title}　{'筛选条件' if lang == 'zh' else 'Filter'}：{described}　"
        f"{'导出时间' if lang == 'zh' else 'Exported'}：{now.astimezone(settings.tz):%Y-%m-%d %H:%M}",
    )
    caption.font = Font(bold=True)
    sheet.append([caption])
    headers = []
    for zh, en, _w in COLUMNS:
        cell = WriteOnlyCell(sheet, value=zh if lang == "zh" else en)
        cell.font = Font(bold=True)
        headers.append(cell)
    sheet.append(headers)
    date_columns = {2, 12, 14, 16}
    for n, row in enumerate(rows, start=1):
        values = export_values(n, row, now, settings, lang, lambda c, i: item_title(registry, c, i, lang))
        cells = []
        for i, value in enumerate(values):
            if i in date_columns and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd hh:mm"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    with tempfile.TemporaryFile() as tmp:
        workbook.save(tmp)
        tmp.seek(0)
        while chunk := tmp.read(1 << 16):
            yield chunk


def stream_csv(rows: Iterator[LedgerRow], *, settings: Settings, lang: str, registry=None) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
    """UTF-8 with a BOM so that Excel reads the Chinese; one line per hazard, written as it is read."""
    now = utcnow()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([zh if lang == "zh" else en for zh, en, _w in COLUMNS])
    yield "\ufeff".encode() + buffer.getvalue().encode()
    for n, row in enumerate(rows, start=1):
        buffer.seek(0)
        buffer.truncate()
        values = export_values(n, row, now, settings, lang, lambda c, i: item_title(registry, c, i, lang))
        writer.writerow(
            ["" if v is None else (f"{v:%Y-%m-%d %H:%M}" if isinstance(v, datetime) else v) for v in values]
        )
        yield buffer.getvalue().encode()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
