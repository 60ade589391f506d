"""The intake queue's rules: report kinds and statuses, what a reporter is shown, the revisit window, caps."""

from __future__ import annotations

import re

INTAKE_KINDS: tuple[str, ...] = ("report", "reopen_request")
INTAKE_SOURCES: tuple[str, ...] = ("gridworker", "resident", "external")

# Where a report stands in the officer's queue.
INTAKE_STATUS_NAMES: dict[str, dict[str, str]] = {
    "pending": {"zh": "待受理", "en": "pending"},
    "accepted": {"zh": "已受理", "en": "accepted"},
    "merged": {"zh": "已合并", "en": "merged"},
    "declined": {"zh": "未受理", "en": "declined"},
}
INTAKE_STATUSES: tuple[str, ...] = tuple(INTAKE_STATUS_NAMES)

# What the reporter sees on the tracking page: nothing of the hazard's internal steps.
PUBLIC_STATUS_NAMES: dict[str, dict[str, str]] = {
    "received": {"zh": "已受理", "en": "received"},
    "in_progress": {"zh": "处理中", "en": "being handled"},
    "resolved": {"zh": "已办结", "en": "resolved"},
    "declined": {"zh": "未受理", "en": "not taken up"},
}

MAX_REPORT_PHOTOS = 3
MAX_DESCRIPTION = 1000
REVISIT_DAYS = 14  # a reporter may answer "fixed / not fixed" this long after the hazard closed
OVERDUE_HOURS = 24  # a report still pending after this counts as overdue on the board

PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")


def public_status(status: str, hazard_status: str | None) -> str:
    """The reporter's view: declined; resolved once its hazard is finished; in progress once it is a hazard."""
    if status == "declined":
        return "declined"
    if status in ("accepted", "merged") and hazard_status:
        return "resolved" if hazard_status in ("closed", "cancelled") else "in_progress"
    return "received"


def mask_phone(phone: str | None) -> str | None:
    """138****1234: the first three and last four digits; shorter numbers keep only their last two."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


def valid_phone(phone: str) -> bool:
    return bool(PHONE.match(phone.strip()))
