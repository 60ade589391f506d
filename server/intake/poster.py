"""A site's public poster (公示牌): A4, Chinese, the people who look after the site and a QR code for residents'
reports. Contact details appear only for people who agreed to publish them."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

import segno
from fpdf import FPDF
from sqlmodel import Session, select

from rulebook.categories import ROLE_NAMES, name
from server.config import Settings
from server.errors import not_found
from server.intake.models import GridAssignment
from server.intake.service import public_url
from server.notices.pdf import find_cjk_font
from server.scope import site_condition
from server.sites.models import Assignment, Site
from server.users.models import Organization, User


@dataclass(frozen=True)
class PosterPerson:
    name: str
    role: str
    duties: str | None
    phone: str | None  # None unless they agreed to publish it


@dataclass(frozen=True)
class PosterDocument:
    workstation: str
    site_name: str
    people: list[PosterPerson]
    company_name: str | None
    company_phone: str | None
    report_url: str


def poster_document(*, session: Session, settings: Settings, user: User, site_id: uuid.UUID) -> PosterDocument:
    site = session.exec(select(Site).where(Site.id == site_id, site_condition(user))).first()
    if site is None:
        raise not_found("site")
    officers = session.exec(
        select(User)
        .join(Assignment, Assignment.officer_id == User.id)
        .where(Assignment.site_id == site.id, User.is_active)
        .order_by(User.display_name, User.username)
    ).all()
    workers = session.exec(
        select(User)
        .join(GridAssignment, GridAssignment.user_id == User.id)
        .where(GridAssignment.site_id == site.id, User.is_active)
        .order_by(User.display_name, User.username)
    ).all()
    people = [
        PosterPerson(
            name=person.display_name or person.username,
            role=name(ROLE_NAMES, person.role, "zh"),
            duties=person.duties if person.publish_contact else None,
            phone=person.phone if person.publish_contact else None,
        )
        for person in [*officers, *workers]
    ]
    company = session.get(Organization, site.property_org_id) if site.property_org_id else None
    return PosterDocument(
        workstation=f"{site.district}{site.street}社区安全工作站",
        site_name=site.name,
        people=people,
        company_name=company.name if company else None,
        company_phone=company.phone if company else None,
        report_url=public_url(settings, site.public_code or ""),
    )


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=12, border=4)
    return out.getvalue()


def render_poster_pdf(doc: PosterDocument) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.add_font("cjk", fname=str(find_cjk_font()))
    pdf.set_title(f"{doc.site_name} 社区安全公示牌")
    pdf.set_creator("SafeRound")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_fill_color(192, 57, 43)
    pdf.rect(0, 0, pdf.w, 34, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_y(8)
    pdf.set_font("cjk", size=26)
    pdf.cell(width, 13, "社区安全公示牌", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=12)
    pdf.cell(width, 8, doc.workstation, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(31, 41, 51)
    pdf.set_y(42)
    pdf.set_font("cjk", size=22)
    pdf.cell(width, 12, doc.site_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    pdf.set_font("cjk", size=14)
    pdf.cell(width, 9, "安全责任人员", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    columns = (38, 28, 74, width - 140)
    pdf.set_fill_color(238, 238, 238)
    for title, w in zip(("姓名", "岗位", "职责", "联系电话"), columns, strict=True):
        pdf.cell(w, 8, title, border=1, fill=True)
    pdf.ln()
    for person in doc.people[:10] or [PosterPerson("—", "", None, None)]:
        for text, w in zip((person.name, person.role, person.duties or "—", person.phone or "—"), columns, strict=True):
            pdf.cell(w, 8, text[:40], border=1)
        pdf.ln()
    pdf.ln(4)
    if doc.company_name:
        pdf.set_font("cjk", size=12)
        pdf.cell(width, 8, f"物业服务单位：{doc.company_name}", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(width, 8, f"物业联系电话：{doc.company_phone or '—'}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    size = 80
    top = min(max(pdf.get_y() + 6, 120), pdf.h - size - 45)
    pdf.image(io.BytesIO(qr_png(doc.report_url)), x=(pdf.w - size) / 2, y=top, w=size, h=size)
    pdf.set_y(top + size + 2)
    pdf.set_font("cjk", size=16)
    pdf.cell(width, 10, "发现安全隐患？微信或手机相机扫码上报", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    pdf.cell(
        width,
        6,
        "无需注册；提交后可凭查询码查看处理进度。紧急情况请拨打 119 / 110。",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(107, 119, 133)
    pdf.cell(width, 6, doc.report_url, align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
