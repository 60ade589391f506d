"""Turning server records into the short texts rows show, in the current language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rulebook.categories import SEVERITY_RANK
from rulebook.hazards import NOT_MET
from rulebook.lifecycle import FINISHED_STATUSES as FINISHED


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def short_time(value: str | None) -> str:
    moment = parse_time(value)
    return moment.astimezone().strftime("%m-%d %H:%M") if moment else ""


def short_date(value: str | None) -> str:
    moment = parse_time(value)
    return moment.astimezone().strftime("%Y-%m-%d") if moment else ""


def is_overdue(hazard: dict[str, Any], now: datetime | None = None) -> bool:
    if hazard.get("status") in FINISHED:
        return False
    if hazard.get("overdue"):
        return True
    deadline = parse_time(hazard.get("deadline"))
    return bool(deadline and deadline < (now or datetime.now(UTC)))


def days_left(hazard: dict[str, Any], now: datetime | None = None) -> float | None:
    deadline = parse_time(hazard.get("deadline"))
    if deadline is None:
        return None
    return (deadline - (now or datetime.now(UTC))).total_seconds() / 86400


def deadline_text(hazard: dict[str, Any], tr: Any) -> str:
    if hazard.get("status") in FINISHED:
        return tr(f"status.{hazard.get('status')}")
    left = days_left(hazard)
    if left is None:
        return ""
    if left < 0:
        return tr("deadline.overdue_days", days=max(1, int(-left + 0.999)))
    if left < 1:
        return tr("deadline.today")
    return tr("deadline.days_left", days=int(left + 0.999))


def hazard_sort_key(hazard: dict[str, Any]) -> tuple:
    """Overdue first, then the nearest deadline, then the most severe."""
    deadline = parse_time(hazard.get("deadline"))
    return (
        hazard.get("status") in FINISHED,
        not is_overdue(hazard),
        deadline.timestamp() if deadline else float("inf"),
        SEVERITY_RANK.get(hazard.get("severity"), 9),
    )


def hazard_title(hazard: dict[str, Any], pick: Any) -> str:
    """A checklist prompt states the safe condition; a hazard is its failure, so say so."""
    prompt = pick(hazard.get("item_prompt"))
    if prompt:
        return pick(NOT_MET) + prompt
    return hazard.get("description") or hazard.get("item_id") or ""


def hazard_row(hazard: dict[str, Any], app: Any, handler: Any) -> dict[str, Any]:
    """The data of one HazardRow."""
    tr = app.tr
    status = tr(f"status.{hazard.get('status', 'open')}")
    pending = bool(hazard.get("pending_actions") or hazard.get("provisional"))
    if pending:
        status += " · " + tr("hazard.waiting_sync")
    return {
        "hazard_id": str(hazard["id"]),
        "severity": hazard.get("severity", ""),
        "title": hazard_title(hazard, app.pick),
        "subtitle": " · ".join(x for x in (hazard.get("site_name", ""), tr(f"cat.{hazard.get('category')}")) if x),
        "status_text": status,
        "deadline_text": deadline_text(hazard, tr),
        "overdue": is_overdue(hazard),
        "pending": pending,
        "handler": handler,
    }


def people_text(participants: list[dict[str, str]], tr: Any, lang: str) -> str:
    joiner = "、" if lang == "zh_CN" else ", "
    return joiner.join(f"{tr('unit.' + p['unit'])} {p['name']}" for p in participants)


def signed_text(signature: dict[str, Any] | None, tr: Any) -> str:
    if not signature:
        return tr("joint.unsigned")
    moment = datetime.fromisoformat(signature["signed_at"]).astimezone()
    return tr("joint.signed", name=signature["signer_name"], time=moment.strftime("%H:%M"))
