"""What each event says, in Chinese and English, with a link into the console.

Categories, severities and statuses are named from the rulebook; these sentences are the server's own
(the phone never shows them)."""

from __future__ import annotations

from typing import Any

from rulebook.categories import CATEGORY_NAMES, SEVERITY_NAMES
from rulebook.lifecycle import STATUS_NAMES

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {  # event -> lang -> (subject, body)
    "notice_issued": {
        "zh": (
            "【整改通知书】{number}：{count} 项隐患，请于 {deadline} 前整改",
            "{organization}：\n社区安全员已向贵单位下发整改通知书 {number}，涉及 {sites} 的 {count} 项隐患"
            "（{hazards}）。请于 {deadline} 前完成整改并提交整改材料。\n查看与签收：{link}",
        ),
        "en": (
            "[Rectification notice] {number}: {count} hazard(s), due {deadline}",
            "{organization}:\nThe safety officer has issued rectification notice {number} for {count} hazard(s) "
            "at {sites} ({hazards}). Please rectify them by {deadline} and submit the evidence.\n"
            "View and acknowledge: {link}",
        ),
    },
    "deadline_soon": {
        "zh": (
            "【整改即将到期】{site}·{category}（{severity}）",
            "{site} 的{severity}{category}隐患将于 {deadline} 到期，当前状态：{status}。\n{description}\n查看：{link}",
        ),
        "en": (
            "[Deadline soon] {site} · {category} ({severity})",
            "The {severity} {category} hazard at {site} is due {deadline}; it is {status}.\n{description}\n"
            "View: {link}",
        ),
    },
    "escalated": {
        "zh": (
            "【隐患逾期·{level}级督办】{site}·{category}（{severity}）",
            "{site} 的{severity}{category}隐患已超过整改期限（{deadline}），升级为{level}级督办；当前状态：{status}。"
            "\n{description}\n查看：{link}",
        ),
        "en": (
            "[Overdue · escalation level {level}] {site} · {category} ({severity})",
            "The {severity} {category} hazard at {site} passed its deadline ({deadline}) and is now at escalation "
            "level {level}; it is {status}.\n{description}\nView: {link}",
        ),
    },
    "evidence_submitted": {
        "zh": (
            "【待复核】{site}·{category}：{organization} 已提交整改材料",
            "{organization} 已提交 {site} {category}隐患的整改材料，请到现场复核。\n{description}\n查看：{link}",
        ),
        "en": (
            "[To verify] {site} · {category}: {organization} submitted evidence",
            "{organization} submitted repair evidence for the {category} hazard at {site}; please verify it on site."
            "\n{description}\nView: {link}",
        ),
    },
    "report_received": {
        "zh": ("【新上报】{site}·{category}", "{site} 收到一条{category}问题上报：{description}\n处理：{link}"),
        "en": (
            "[New report] {site} · {category}",
            "A {category} problem was reported at {site}: {description}\nHandle it: {link}",
        ),
    },
    "report_outcome": {
        "zh": ("【工单办结】{order_id}：{outcome}", "工单 {order_id}（{site}·{category}）：{outcome}。{reason}"),
        "en": (
            "[Work order] {order_id}: {outcome}",
            "Work order {order_id} ({site} · {category}): {outcome}. {reason}",
        ),
    },
    "weekly_report": {
        "zh": ("【周报】{week} 社区安全周报已生成", "{week} 的社区安全周报已生成。\n查看：{link}"),
        "en": ("[Weekly report] {week} is ready", "The community safety report for {week} is ready.\nView: {link}"),
    },
}


def name(table: dict[str, dict[str, str]], key: str, lang: str) -> str:
    return table.get(key, {}).get(lang, key)


def localized(params: dict[str, Any], lang: str) -> dict[str, Any]:
    """Rulebook keys shown by their names in `lang`."""
    out = dict(params)
    if "category" in out:
        out["category"] = name(CATEGORY_NAMES, out["category"], lang)
    if "severity" in out:
        out["severity"] = name(SEVERITY_NAMES, out["severity"], lang)
    if "status" in out:
        out["status"] = name(STATUS_NAMES, out["status"], lang)
    return out


def render_message(event: str, params: dict[str, Any], lang: str) -> tuple[str, str]:
    """(subject, body) for one event in `lang` (zh unless en)."""
    lang = "en" if lang == "en" else "zh"
    subject, body = TEMPLATES[event][lang]
    values = localized(params, lang)
    return subject.format(**values), body.format(**values)
