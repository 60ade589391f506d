"""Bulk import of companies, sites, users and assignments from the console's XLSX template.

A dry run reads every sheet and lists every problem by sheet, row and column before anything is written;
apply writes all rows in one unit of work through the same service functions as the admin API, or none."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from pydantic import ValidationError
from sqlmodel import Session, select

from rulebook.categories import PROFILE_FLAG_NAMES, PROFILE_FLAGS, ROLE_NAMES
from rulebook.messages import render
from server.db import write_unit
from server.errors import DomainError
from server.sites import service as sites
from server.sites.models import AssignmentCreate, Site, SiteCreate, SiteProfile
from server.users import service as users
from server.users.models import Organization, OrganizationCreate, User, UserCreate

YES = {"是", "有", "y", "yes", "true", "1", "✓"}
NO = {"否", "无", "n", "no", "false", "0", ""}
ORG_KINDS = {
    "物业": "property",
    "物业公司": "property",
    "property": "property",
    "部门": "department",
    "department": "department",
}
SITE_KINDS = {"社区": "community", "community": "community", "村": "village", "village": "village"}
ROLE_VALUES = {**{r: r for r in ROLE_NAMES}, **{names["zh"]: r for r, names in ROLE_NAMES.items()}}

# Sheet → columns (header, key, required). Profile flags are named as the rulebook names them.
SHEETS: dict[str, list[tuple[str, str, bool]]] = {
    "物业公司": [("名称", "name", True), ("类型（物业/部门）", "kind", False), ("电话", "phone", False)],
    "社区（村）": [
        ("名称", "name", True),
        ("类型（社区/村）", "kind", True),
        ("区", "district", False),
        ("街道", "street", False),
        ("地址", "address", False),
        ("纬度", "lat", False),
        ("经度", "lon", False),
        ("物业公司", "company", False),
        *[(PROFILE_FLAG_NAMES[f]["zh"] + "（是/否）", f, False) for f in PROFILE_FLAGS],
        ("楼栋数", "building_count", False),
        ("户数", "household_count", False),
    ],
    "用户": [
        ("用户名", "username", True),
        ("初始密码", "password", True),
        ("角色（" + "/".join(n["zh"] for n in ROLE_NAMES.values()) + "）", "role", True),
        ("所属单位", "company", False),
        ("姓名", "display_name", False),
        ("电话", "phone", False),
    ],
    "巡查分配": [
        ("安全员用户名", "officer", True),
        ("社区（村）名称", "site", True),
        ("每周次数", "visits_per_week", False),
    ],
}
EXAMPLES = {
    "物业公司": [["安居物业", "物业", "024-12345678"]],
    "社区（村）": [
        [
            "示例社区",
            "社区",
            "浑南区",
            "五三街道",
            "1号",
            41.74,
            123.45,
            "安居物业",
            *["是"] * len(PROFILE_FLAGS),
            12,
            900,
        ]
    ],
    "用户": [["wangfang", "change-me-2026", "安全员", "", "王芳", "13800000000"]],
    "巡查分配": [["wangfang", "示例社区", 1]],
}


@dataclass
class Problem:
    sheet: str
    row: int
    column: str
    header: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str) -> str:
        return render(self.code, self.params, lang)


@dataclass
class Plan:
    organizations: list[tuple[int, OrganizationCreate]] = field(default_factory=list)
    sites: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # SiteCreate fields + company name
    users: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    assignments: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "物业公司": len(self.organizations),
            "社区（村）": len(self.sites),
            "用户": len(self.users),
            "巡查分配": len(self.assignments),
        }


def template_xlsx() -> bytes:
    """The template the console offers for download: one sheet per kind, a header row and an example row."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet_name, columns in SHEETS.items():
        sheet = workbook.create_sheet(sheet_name)
        for i, (header, _key, required) in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=i, value=header + ("*" if required else ""))
            cell.font = Font(bold=True)
            sheet.column_dimensions[get_column_letter(i)].width = max(10, len(header) * 2 + 2)
        for row in EXAMPLES[sheet_name]:
            sheet.append(row)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def read_plan(*, session: Session, content: bytes) -> Plan:
    """Every row checked, every problem listed; nothing written."""
    plan = Plan()
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 — any unreadable upload gets the same sentence
        plan.problems.append(Problem("", 0, "", "", "import_not_xlsx"))
        return plan
    rows = {name: _rows(workbook, name) for name in SHEETS}
    existing_orgs = {o.name: o for o in session.exec(select(Organization)).all()}
    existing_users = {u.username: u for u in session.exec(select(User)).all()}
    existing_sites: dict[str, list[Site]] = {}
    for site in session.exec(select(Site)).all():
        existing_sites.setdefault(site.name, []).append(site)

    def problem(sheet: str, row: int, key: str, code: str, **params: Any) -> None:
        index = next(i for i, (_h, k, _r) in enumerate(SHEETS[sheet]) if k == key)
        plan.problems.append(Problem(sheet, row, get_column_letter(index + 1), SHEETS[sheet][index][0], code, params))

    new_orgs: dict[str, str] = {}
    for row_no, values in rows["物业公司"]:
        if not _required(values, "物业公司", row_no, problem):
            continue
        name = values["name"]
        kind = ORG_KINDS.get(values.get("kind") or "物业")
        if kind is None:
            problem("物业公司", row_no, "kind", "import_bad_value", value=values["kind"], expected="物业/部门")
            continue
        if name in existing_orgs or name in new_orgs:
            problem("物业公司", row_no, "name", "import_duplicate", value=name)
            continue
        new_orgs[name] = kind
        plan.organizations.append((row_no, OrganizationCreate(name=name, kind=kind, phone=values.get("phone") or None)))

    def company_known(name: str) -> bool:
        org = existing_orgs.get(name)
        return (org is not None and org.kind == "property") or new_orgs.get(name) == "property"

    new_sites: set[str] = set()
    for row_no, values in rows["社区（村）"]:
        if not _required(values, "社区（村）", row_no, problem):
            continue
        ok = True
        kind = SITE_KINDS.get(values["kind"])
        if kind is None:
            problem("社区（村）", row_no, "kind", "import_bad_value", value=values["kind"], expected="社区/村")
            ok = False
        if values["name"] in existing_sites or values["name"] in new_sites:
            problem("社区（村）", row_no, "name", "import_duplicate", value=values["name"])
            ok = False
        company = values.get("company") or None
        if company and not company_known(company):
            problem("社区（村）", row_no, "company", "import_unknown_reference", value=company)
            ok = False
        profile: dict[str, Any] = {}
        for flag in PROFILE_FLAGS:
            raw = str(values.get(flag) or "").strip().lower()
            if raw not in YES | NO:
                problem("社区（村）", row_no, flag, "import_bad_value", value=values.get(flag), expected="是/否")
                ok = False
            profile[flag] = raw in YES
        numbers: dict[str, Any] = {}
        for key, low, high in (
            ("lat", -90, 90),
            ("lon", -180, 180),
            ("building_count", 0, 10_000),
            ("household_count", 0, 1_000_000),
        ):
            raw = values.get(key)
            if raw in (None, ""):
                continue
            try:
                number = float(raw)
                if not low <= number <= high:
                    raise ValueError
                numbers[key] = int(number) if key.endswith("_count") else number
            except (TypeError, ValueError):
                problem("社区（村）", row_no, key, "import_bad_value", value=raw, expected=f"{low}–{high}")
                ok = False
        if not ok:
            continue
        new_sites.add(values["name"])
        profile.update({k: numbers.pop(k) for k in ("building_count", "household_count") if k in numbers})
        plan.sites.append(
            (
                row_no,
                {
                    "name": values["name"],
                    "kind": kind,
                    "district": values.get("district") or "",
                    "street": values.get("street") or "",
                    "address": values.get("address") or "",
                    "profile": SiteProfile(**profile),
                    "company": company,
                    **numbers,
                },
            )
        )

    new_users: dict[str, str] = {}
    for row_no, values in rows["用户"]:
        if not _required(values, "用户", row_no, problem):
            continue
        role = ROLE_VALUES.get(values["role"])
        ok = True
        if role is None:
            problem(
                "用户",
                row_no,
                "role",
                "import_bad_value",
                value=values["role"],
                expected="/".join(n["zh"] for n in ROLE_NAMES.values()),
            )
            ok = False
        if values["username"] in existing_users or values["username"] in new_users:
            problem("用户", row_no, "username", "import_duplicate", value=values["username"])
            ok = False
        company = values.get("company") or None
        if company and company not in existing_orgs and company not in new_orgs:
            problem("用户", row_no, "company", "import_unknown_reference", value=company)
            ok = False
        if role == "property" and not (company and company_known(company)):
            problem("用户", row_no, "company", "organization_required")
            ok = False
        try:
            UserCreate(
                username=values["username"],
                password=values["password"],
                role=role or "officer",
                display_name=values.get("display_name") or "",
                phone=values.get("phone") or None,
            )
        except ValidationError as exc:
            for err in exc.errors():
                key = str(err["loc"][0]) if err["loc"] else "username"
                if key in ("username", "password", "display_name", "phone"):
                    problem(
                        "用户",
                        row_no,
                        key,
                        "import_bad_value",
                        value="***" if key == "password" else values.get(key),
                        expected=err["msg"],
                    )
            ok = False
        if ok:
            new_users[values["username"]] = role
            plan.users.append((row_no, {**values, "role": role, "company": company}))

    for row_no, values in rows["巡查分配"]:
        if not _required(values, "巡查分配", row_no, problem):
            continue
        officer = existing_users.get(values["officer"])
        role = officer.role if officer is not None else new_users.get(values["officer"])
        ok = True
        if role != "officer":
            problem("巡查分配", row_no, "officer", "import_unknown_reference", value=values["officer"])
            ok = False
        if len(existing_sites.get(values["site"], [])) != 1 and values["site"] not in new_sites:
            problem("巡查分配", row_no, "site", "import_unknown_reference", value=values["site"])
            ok = False
        try:
            visits = int(values.get("visits_per_week") or 1)
            if not 1 <= visits <= 14:
                raise ValueError
        except (TypeError, ValueError):
            problem(
                "巡查分配",
                row_no,
                "visits_per_week",
                "import_bad_value",
                value=values.get("visits_per_week"),
                expected="1–14",
            )
            ok = False
        if ok:
            plan.assignments.append(
                (row_no, {"officer": values["officer"], "site": values["site"], "visits_per_week": visits})
            )
    return plan


def apply_plan(*, session: Session, hasher, plan: Plan, actor_id: uuid.UUID) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """All rows in one unit of work (the services' own units join it): everything is written, or nothing."""
    if plan.problems:
        raise DomainError("import_has_problems", count=len(plan.problems))
    with write_unit(session):
        orgs = {o.name: o.id for o in session.exec(select(Organization)).all()}
        for _row, data in plan.organizations:
            orgs[data.name] = users.create_organization(session=session, data=data, actor_id=actor_id).id
        site_ids = {s.name: s.id for s in session.exec(select(Site)).all()}
        for _row, values in plan.sites:
            fields = {k: v for k, v in values.items() if k != "company"}
            data = SiteCreate(**fields, property_org_id=orgs.get(values["company"]) if values["company"] else None)
            site_ids[data.name] = sites.create_site(session=session, data=data, actor_id=actor_id).id
        user_ids = {u.username: u.id for u in session.exec(select(User)).all()}
        for _row, values in plan.users:
            data = UserCreate(
                username=values["username"],
                password=values["password"],
                role=values["role"],
                organization_id=orgs.get(values["company"]) if values["company"] else None,
                display_name=values.get("display_name") or "",
                phone=values.get("phone") or None,
            )
            user_ids[data.username] = users.create_user(session=session, hasher=hasher, data=data, actor_id=actor_id).id
        for _row, values in plan.assignments:
            data = AssignmentCreate(
                officer_id=user_ids[values["officer"]],
                site_id=site_ids[values["site"]],
                visits_per_week=values["visits_per_week"],
            )
            sites.create_assignment(session=session, data=data, actor_id=actor_id)
    return plan.counts


def _rows(workbook, sheet_name: str) -> list[tuple[int, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    """(Excel row number, {key: value}) for every non-empty row under the header; a missing sheet is empty."""
    if sheet_name not in workbook.sheetnames:
        return []
    keys = [key for _h, key, _r in SHEETS[sheet_name]]
    out = []
    for row_no, row in enumerate(workbook[sheet_name].iter_rows(min_row=2, values_only=True), start=2):
        values = {key: (v.strip() if isinstance(v, str) else v) for key, v in zip(keys, row, strict=False)}
        if all(v in (None, "") for v in values.values()):
            continue
        out.append(
            (
                row_no,
                {k: ("" if v is None else (v if isinstance(v, (int, float)) else str(v))) for k, v in values.items()},
            )
        )
    return out


def _required(values: dict[str, Any], sheet: str, row_no: int, problem) -> bool:  # type: ignore[no-untyped-def]
    ok = True
    for _header, key, required in SHEETS[sheet]:
        if required and values.get(key) in (None, ""):
            problem(sheet, row_no, key, "import_missing_value")
            ok = False
    if ok:
        for _header, key, _required_ in SHEETS[sheet]:
            if key in ("name", "username", "password", "officer", "site", "role", "kind") and key in values:
                values[key] = str(values[key])
    return ok
