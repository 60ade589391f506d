"""A report as an Excel workbook: one sheet per section, Chinese headers, numbers as numbers."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from rulebook.categories import CATEGORY_NAMES, HAZARD_SOURCE_NAMES, SEVERITY_NAMES

# The figures in the order a district reads them, with their Chinese names.
FIGURE_NAMES: dict[str, str] = {
    "sites_complete_share": "巡查全覆盖率（%）",
    "inspections": "检查次数",
    "items_checked": "检查项数",
    "hazards_found": "发现隐患",
    "hazards_closed": "销号隐患",
    "closed_on_time_share": "按期整改率（%）",
    "days_to_close_median": "整改用时中位数（天）",
    "days_to_close_p90": "整改用时90分位（天）",
    "open_at_end": "期末未销号",
    "overdue_at_end": "期末逾期",
    "overdue_at_end_level1": "期末逾期（一级）",
    "overdue_at_end_level2": "期末逾期（二级）",
    "reopened": "重新打开",
    "notices_issued": "下发整改通知书",
    "notices_acknowledged_48h_share": "48小时内签收率（%）",
    "hours_to_acknowledge_median": "签收用时中位数（小时）",
    "trainings": "培训场次",
    "attendees": "培训人次",
    "training_hours": "培训时长（小时）",
    "joint_inspections": "联查联检次数",
    "revisits_due": "到期回访",
    "revisits_done": "完成回访",
    "revisits_confirmed": "回访确认已整改",
    "revisits_reopened": "回访重新打开",
}
BOLD = Font(bold=True)


def _sheet(book: Workbook, title: str, caption: str, headers: list[str], rows: list[list[Any]]) -> None:
    sheet = book.create_sheet(title)
    sheet.append([caption])
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = BOLD
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A3"
    for index, header in enumerate(headers):
        sheet.column_dimensions[chr(ord("A") + index)].width = max(12, 2 * len(header) + 4)


def report_workbook(data: dict[str, Any]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    caption = f"报表周期 {data['period']}（{data['starts_on']} 至 {data['ends_on']}）· 范围 {data['scope']}"
    figures = data["figures"]
    _sheet(
        book,
        "主要指标",
        caption,
        [
            "指标",
            "本期",
            f"上期（{data['previous_period']}）",
            "环比（%）",
            f"去年同期（{data['year_ago_period']}）",
            "同比（%）",
        ],
        [
            [
                FIGURE_NAMES.get(name, name),
                f["value"],
                f["previous"],
                f["change_previous"],
                f["year_ago"],
                f["change_year_ago"],
            ]
            for name, f in figures.items()
            if name in FIGURE_NAMES
        ],
    )
    grid = data["hazards_by_category_severity"]
    _sheet(
        book,
        "隐患分类",
        caption,
        ["类别", *(SEVERITY_NAMES[s]["zh"] for s in SEVERITY_NAMES), "合计"],
        [
            [CATEGORY_NAMES.get(c, {"zh": c})["zh"], *(grid[c][s] for s in SEVERITY_NAMES), sum(grid[c].values())]
            for c in grid
        ],
    )
    _sheet(
        book,
        "隐患来源",
        caption,
        ["来源", "隐患数"],
        [[HAZARD_SOURCE_NAMES.get(src, {"zh": src})["zh"], n] for src, n in data["hazards_by_source"].items()],
    )
    _sheet(
        book,
        "物业公司",
        caption,
        [
            "物业公司",
            "收到隐患",
            "销号",
            "按期整改率（%）",
            "整改用时中位数（天）",
            "退回整改",
            "重新打开",
            "未签收通知书",
        ],
        [
            [
                c["organization"],
                c["hazards_received"],
                c["hazards_closed"],
                c["closed_on_time_share"],
                c["days_to_close_median"],
                c["evidence_rejected"],
                c["reopened"],
                c["notices_unacknowledged"],
            ]
            for c in data["companies"]
        ],
    )
    _sheet(
        book,
        "安全员走访",
        caption,
        ["安全员", "走访", "目标"],
        [[o["officer"], o["visits"], o["visits_target"]] for o in data["visits"]["listed"]],
    )
    _sheet(
        book,
        "重复隐患",
        caption,
        ["隐患编号", "检查项", "发现时间", "上次销号时间"],
        [[r["hazard_id"], r["item_id"], r["found_at"], r["earlier_closed_at"]] for r in data["repeat_hazards"]],
    )
    _sheet(
        book,
        "共性问题",
        caption,
        ["街道", "检查项", "社区占比（%）", "社区"],
        [
            [p["street"], (p["prompt"] or {}).get("zh", p["item_id"]), p["share"], "、".join(p["sites"])]
            for p in data["common_problems"]
        ],
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
