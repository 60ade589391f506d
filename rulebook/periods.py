"""Reporting periods — an ISO week (2026-W48), a month (2026-11), a quarter (2026-Q4) or a year (2026) —
counted in the deployment's time zone, with the period before (环比) and the same period a year before (同比)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
KINDS = ("week", "month", "quarter", "year")


@dataclass(frozen=True)
class Period:
    kind: str  # week | month | quarter | year
    name: str  # as written: 2026-W48, 2026-11, 2026-Q4, 2026
    first_day: date
    end_day: date  # the day after the last

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) as aware local times."""
        return datetime.combine(self.first_day, time(0), tz), datetime.combine(self.end_day, time(0), tz)

    def previous(self) -> Period:
        """The period just before (环比)."""
        if self.kind == "week":
            return week(self.first_day - timedelta(days=7))
        if self.kind == "month":
            return month(self.first_day.year - (self.first_day.month == 1), (self.first_day.month - 2) % 12 + 1)
        if self.kind == "quarter":
            q = (self.first_day.month - 1) // 3 + 1
            return quarter(self.first_day.year - (q == 1), (q - 2) % 4 + 1)
        return year(self.first_day.year - 1)

    def year_ago(self) -> Period:
        """The same period a year before (同比): the same ISO week number, month, quarter or year."""
        if self.kind == "week":
            iso_year, iso_week, _ = self.first_day.isocalendar()
            try:
                return week(date.fromisocalendar(iso_year - 1, iso_week, 1))
            except ValueError:  # week 53 in a year that has 52
                return week(date.fromisocalendar(iso_year - 1, 52, 1))
        if self.kind == "month":
            return month(self.first_day.year - 1, self.first_day.month)
        if self.kind == "quarter":
            return quarter(self.first_day.year - 1, (self.first_day.month - 1) // 3 + 1)
        return year(self.first_day.year - 1)

    def weeks(self) -> list[date]:
        """The Mondays of the ISO weeks that start inside the period (a week period: itself)."""
        monday = self.first_day - timedelta(days=self.first_day.weekday())
        if monday < self.first_day:
            monday += timedelta(days=7)
        out = []
        while monday < self.end_day:
            out.append(monday)
            monday += timedelta(days=7)
        return out


def week(monday: date) -> Period:
    monday = monday - timedelta(days=monday.weekday())
    iso_year, iso_week, _ = monday.isocalendar()
    return Period("week", f"{iso_year}-W{iso_week:02d}", monday, monday + timedelta(days=7))


def month(year_: int, month_: int) -> Period:
    first = date(year_, month_, 1)
    end = date(year_ + (month_ == 12), month_ % 12 + 1, 1)
    return Period("month", f"{year_}-{month_:02d}", first, end)


def quarter(year_: int, q: int) -> Period:
    first = date(year_, 3 * (q - 1) + 1, 1)
    end = date(year_ + (q == 4), (3 * q) % 12 + 1, 1)
    return Period("quarter", f"{year_}-Q{q}", first, end)


def year(year_: int) -> Period:
    return Period("year", f"{year_}", date(year_, 1, 1), date(year_ + 1, 1, 1))


def parse_period(text: str) -> Period:
    """A period as written (2026-W48, 2026-11, 2026-Q4, 2026); ValueError for anything else."""
    text = (text or "").strip()
    if m := _WEEK.match(text):
        return week(date.fromisocalendar(int(m[1]), int(m[2]), 1))
    if m := _MONTH.match(text):
        return month(int(m[1]), int(m[2]))
    if m := _QUARTER.match(text):
        return quarter(int(m[1]), int(m[2]))
    if m := _YEAR.match(text):
        return year(int(m[1]))
    raise ValueError(text)


def change(value: float, base: float | None) -> float | None:
    """Relative change in percent, one decimal; None ("—") where the base is zero or unknown."""
    if not base:
        return None
    return round((value - base) / base * 100, 1)
