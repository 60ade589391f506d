"""The printable rectification notice (整改通知书): A4, Chinese, with each hazard's before photo."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF

from rulebook.categories import SEVERITY_GRADES, name
from server.errors import DomainError

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


class FontMissing(DomainError):
    status_code = 503
    code = "font_missing"


@dataclass
class NoticeHazardLine:
    category_title: str
    site_name: str
    severity: str
    description: str
    before_photo_id: uuid.UUID | None


@dataclass
class NoticeJointInspection:
    """A joint inspection (联查联检) the notice's hazards came from: who took part and who signed on site."""

    finished_at: datetime
    category_title: str
    participants: list[tuple[str, str]]  # (unit name in Chinese, person)
    signer_name: str | None = None
    signed_at: datetime | None = None
    signed_lat: float | None = None
    signed_lon: float | None = None
    signature_photo_id: uuid.UUID | None = None


@dataclass
class NoticeDocument:
    number: str
    organization_name: str
    site_names: list[str]
    issued_at: datetime
    deadline: datetime
    basis: str
    note: str | None
    officer_name: str
    acknowledged_at: datetime | None
    acknowledged_by_name: str | None
    hazards: list[NoticeHazardLine]
    joint_inspections: list[NoticeJointInspection] = field(default_factory=list)


def find_cjk_font(configured: Path | None = None) -> Path:
    for candidate in ([configured] if configured else []) + [Path(p) for p in FONT_CANDIDATES]:
        if candidate and candidate.exists():
            return candidate
    raise FontMissing()


def _day(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local.year}年{local.month}月{local.day}日"


def _joint_inspection(
    pdf: FPDF,
    joint: NoticeJointInspection,
    *,
    width: float,
    tz: ZoneInfo,
    photo_loader: Callable[[uuid.UUID], bytes | None],
) -> None:
    if pdf.get_y() > pdf.h - 75:
        pdf.add_page()
    pdf.set_font("cjk", size=12)
    pdf.set_fill_color(238, 238, 238)
    pdf.cell(
        width,
        8,
        f"联查联检（{_day(joint.finished_at, tz)}·{joint.category_title}检查）",
        fill=True,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("cjk", size=11)
    people = "、".join(f"{unit} {person}" for unit, person in joint.participants) or "—"
    pdf.multi_cell(width, 6.5, f"参加人员：{people}", new_x="LMARGIN", new_y="NEXT")
    if joint.signer_name:
        signed = joint.signed_at.astimezone(tz) if joint.signed_at else None
        when = f"{_day(signed, tz)} {signed:%H:%M}" if signed else ""
        where = (
            f"（位置 {joint.signed_lat:.5f}, {joint.signed_lon:.5f}）"
            if joint.signed_lat is not None and joint.signed_lon is not None
            else ""
        )
        pdf.multi_cell(width, 6.5, f"物业现场签字：{joint.signer_name}　{when}{where}", new_x="LMARGIN", new_y="NEXT")
        image = photo_loader(joint.signature_photo_id) if joint.signature_photo_id else None
        if image:
            pdf.image(io.BytesIO(image), x=pdf.l_margin, w=60)
            pdf.set_font("cjk", size=9)
            pdf.cell(width, 5, "物业代表现场签字", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def render_notice_pdf(
    doc: NoticeDocument,
    *,
    tz: ZoneInfo,
    photo_loader: Callable[[uuid.UUID], bytes | None],
    font_path: Path | None = None,
) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font("cjk", fname=str(find_cjk_font(font_path)))
    pdf.set_title(f"整改通知书 {doc.number}")
    pdf.set_creator("SafeRound")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_font("cjk", size=22)
    pdf.cell(width, 14, "安全隐患整改通知书", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    pdf.cell(width, 8, f"编号：{doc.number}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("cjk", size=13)
    pdf.cell(width, 9, f"{doc.organization_name}：", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11.5)
    sites = "、".join(doc.site_names)
    pdf.multi_cell(
        width,
        7,
        (
            f"　　{_day(doc.issued_at, tz)}，社区安全员在对你单位管理的{sites}进行安全巡查时，发现下列安全隐患。"
            f"依据{doc.basis}，请你单位于{_day(doc.deadline, tz)}前整改完毕，并将整改情况及整改后照片反馈安全员复查。"
            "逾期未整改或整改不到位的，将按规定逐级上报处理。"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if doc.note:
        pdf.multi_cell(width, 7, f"　　补充说明：{doc.note}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    for index, line in enumerate(doc.hazards, start=1):
        if pdf.get_y() > pdf.h - 80:
            pdf.add_page()
        pdf.set_font("cjk", size=12)
        pdf.set_fill_color(238, 238, 238)
        pdf.cell(
            width,
            8,
            f"{index}. 【{line.category_title}·{name(SEVERITY_GRADES, line.severity, 'zh')}】 {line.site_name}",
            fill=True,
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("cjk", size=11)
        pdf.multi_cell(width, 6.5, line.description, new_x="LMARGIN", new_y="NEXT")
        image = photo_loader(line.before_photo_id) if line.before_photo_id else None
        if image:
            pdf.ln(1)
            pdf.image(io.BytesIO(image), x=pdf.l_margin, w=70)
            pdf.set_font("cjk", size=9)
            pdf.cell(width, 5, "整改前照片", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)

    for joint in doc.joint_inspections:
        _joint_inspection(pdf, joint, width=width, tz=tz, photo_loader=photo_loader)

    if pdf.get_y() > pdf.h - 50:
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font("cjk", size=11.5)
    pdf.cell(width, 8, f"整改期限：{_day(doc.deadline, tz)}前", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        width,
        8,
        f"检查人（安全员）：{doc.officer_name}        签发日期：{_day(doc.issued_at, tz)}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if doc.acknowledged_at:
        pdf.cell(
            width,
            8,
            f"签收人：{doc.acknowledged_by_name or ''}        签收时间：{_day(doc.acknowledged_at, tz)}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    else:
        pdf.cell(width, 8, "签收人：________________        签收时间：________________", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
