"""ISO weeks counted in the deployment's time zone.

An inspection at 07:00 on a Monday in Shenyang belongs to that Monday's week, though it is still Sunday in
UTC: every side asks these functions, with the deployment's zone, instead of `date.isocalendar()`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def zone(name: str | None = None) -> ZoneInfo:
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def week_of(moment: datetime | date | None, tz: tzinfo) -> str:
    """'2026-W48' for a moment (aware; naive is read as UTC) or a local date; now when None."""
    if moment is None:
        moment = datetime.now(UTC)
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        day = aware.astimezone(tz).date()
    else:
        day = moment
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(week: str) -> date:
    """The Monday of an ISO week written like 2026-W48; ValueError for anything else."""
    match = WEEK_RE.match(week or "")
    if not match:
        raise ValueError(week)
    return date.fromisocalendar(int(match[1]), int(match[2]), 1)


def week_bounds(monday: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of the week beginning on `monday`, as aware local times."""
    start = datetime.combine(monday, time(0), tz)
    return start, datetime.combine(monday + timedelta(days=7), time(0), tz)
