"""The report as an A4 PDF in Chinese: the figures with 环比 and 同比, and three charts drawn as plain bars —
hazards by category and severity, found against closed over the last 12 periods, on-time share by company."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf import FPDF

from rulebook.categories import CATEGORY_NAMES, SEVERITY_NAMES
from server.notices.pdf import find_cjk_font
from server.reports.xlsx import FIGURE_NAMES

SEVERITY_RGB = {"red": (211, 47, 47), "yellow": (245, 173, 0), "blue": (25, 115, 204)}
FOUND_RGB, CLOSED_RGB, GRID_RGB = (211, 47, 47), (46, 125, 50), (200, 200, 200)


def _number(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _change(value: Any) -> str:
    return "—" if value is None else f"{value:+.1f}%"


class ReportPdf(FPDF):
    def __init__(self, font: Path):
        super().__init__(format="A4")
        self.add_font("cjk", fname=str(font))
        self.set_auto_page_break(auto=True, margin=15)
        self.width = self.w - self.l_margin - self.r_margin

    def heading(self, text: str) -> None:
        if self.get_y() > self.h - 70:
            self.add_page()
        self.ln(3)
        self.set_font("cjk", size=13)
        self.cell(self.width, 9, text, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*GRID_RGB)
        self.line(self.l_margin, self.get_y(), self.l_margin + self.width, self.get_y())
        self.ln(2)

    def table(self, headers: list[str], rows: list[list[str]], widths: list[float]) -> None:
        self.set_font("cjk", size=9.5)
        self.set_fill_color(238, 238, 238)
        for header, width in zip(headers, widths, strict=True):
            self.cell(width, 7, header, border=1, fill=True, align="C")
        self.ln()
        for row in rows:
            for index, (text, width) in enumerate(zip(row, widths, strict=True)):
                self.cell(width, 6.5, text, border=1, align="L" if index == 0 else "R")
            self.ln()

    def bars(
        self,
        labels: list[str],
        series: list[list[float]],
        colours: list[tuple[int, int, int]],
        legend: list[str],
        height: float = 45,
        stacked: bool = True,
    ) -> None:
        """Vertical bars per label: stacked, or side by side; a legend below."""
        top, left = self.get_y() + 2, self.l_margin + 8
        span = self.width - 8
        totals = (
            [sum(values) for values in zip(*series, strict=True)]
            if stacked
            else [max(values) for values in zip(*series, strict=True)]
        )
        peak = max(totals + [1])
        slot = span / max(1, len(labels))
        self.set_font("cjk", size=7.5)
        self.set_draw_color(*GRID_RGB)
        self.line(left, top + height, left + span, top + height)
        self.text(self.l_margin, top + 3, _number(peak))
        for index, label in enumerate(labels):
            x = left + index * slot + slot * 0.15
            bar = slot * 0.7 / (1 if stacked else len(series))
            base = top + height
            for position, (values, colour) in enumerate(zip(series, colours, strict=True)):
                h = values[index] / peak * height
                self.set_fill_color(*colour)
                if stacked:
                    self.rect(x, base - h, bar, h, style="F")
                    base -= h
                else:
                    self.rect(x + position * bar, base - h, bar, h, style="F")
            self.text(x, top + height + 4, label[:8])
        y = top + height + 8
        x = left
        for name, colour in zip(legend, colours, strict=True):
            self.set_fill_color(*colour)
            self.rect(x, y - 2.5, 3, 3, style="F")
            self.text(x + 4, y, name)
            x += 30
        self.set_y(y + 4)

    def share_bars(self, rows: list[tuple[str, float | None]]) -> None:
        """A horizontal bar per company: its on-time share, 0–100 %."""
        self.set_font("cjk", size=9)
        label_width, span = 60, self.width - 75
        for label, share in rows:
            y = self.get_y()
            self.cell(label_width, 6, label[:16])
            self.set_fill_color(*GRID_RGB)
            self.rect(self.l_margin + label_width, y + 1.2, span, 3.6, style="F")
            if share is not None:
                self.set_fill_color(*(CLOSED_RGB if share >= 80 else FOUND_RGB))
                self.rect(self.l_margin + label_width, y + 1.2, span * share / 100, 3.6, style="F")
            self.set_x(self.l_margin + label_width + span + 2)
            self.cell(13, 6, "—" if share is None else f"{share:.1f}%", new_x="LMARGIN", new_y="NEXT")


def render_report_pdf(data: dict[str, Any], trend: list[dict[str, Any]], *, font_path: Path | None = None) -> bytes:
    pdf = ReportPdf(find_cjk_font(font_path))
    pdf.set_title(f"社区安全工作报表 {data['period']}")
    pdf.set_creator("SafeRound")
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.cell(pdf.width, 12, "社区安全工作报表", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10.5)
    scope = "全部" if data["scope"] == "all" else data["scope"].partition(":")[2]
    pdf.cell(
        pdf.width,
        7,
        f"周期：{data['period']}（{data['starts_on']} 至 {data['ends_on']}）　范围：{scope}　"
        f"社区（村）数：{data['sites']}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )

    pdf.heading("一、主要指标")
    rows = [
        [
            label,
            _number(f["value"]),
            _number(f["previous"]),
            _change(f["change_previous"]),
            _number(f["year_ago"]),
            _change(f["change_year_ago"]),
        ]
        for name, label in FIGURE_NAMES.items()
        if (f := data["figures"].get(name))
    ]
    pdf.table(
        ["指标", "本期", f"上期 {data['previous_period']}", "环比", f"去年同期 {data['year_ago_period']}", "同比"],
        rows,
        [52, 22, 30, 22, 32, 22],
    )

    pdf.heading("二、隐患分类（按类别与等级）")
    grid = data["hazards_by_category_severity"]
    categories = list(grid)
    pdf.bars(
        [CATEGORY_NAMES.get(c, {"zh": c})["zh"] for c in categories],
        [[grid[c][s] for c in categories] for s in SEVERITY_NAMES],
        list(SEVERITY_RGB.values()),
        [SEVERITY_NAMES[s]["zh"] for s in SEVERITY_NAMES],
    )

    pdf.heading(f"三、近 {len(trend)} 个周期发现与销号")
    pdf.bars(
        [t["period"][-6:] for t in trend],
        [[t["found"] for t in trend], [t["closed"] for t in trend]],
        [FOUND_RGB, CLOSED_RGB],
        ["发现", "销号"],
        stacked=False,
    )

    pdf.heading("四、物业公司按期整改率")
    if data["companies"]:
        pdf.share_bars([(c["organization"], c["closed_on_time_share"]) for c in data["companies"]])
    else:
        pdf.set_font("cjk", size=10)
        pdf.cell(pdf.width, 7, "本期没有物业公司的隐患。", new_x="LMARGIN", new_y="NEXT")

    if data["common_problems"]:
        pdf.heading("五、共性问题")
        pdf.set_font("cjk", size=10)
        for problem in data["common_problems"]:
            prompt = (problem["prompt"] or {}).get("zh", problem["item_id"])
            pdf.multi_cell(
                pdf.width,
                6,
                f"{problem['street']}：{prompt}（{problem['share']:.1f}% 的社区：{'、'.join(problem['sites'])}）",
                new_x="LMARGIN",
                new_y="NEXT",
            )
    return bytes(pdf.output())
