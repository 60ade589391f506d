"""Weekly round plan: due versus done per site."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel


class SiteRound(BaseModel):
    site_id: uuid.UUID
    site_name: str
    due: list[str]
    done: list[str]
    remaining: list[str]
    visits: int
    visits_target: int


class WeekRounds(BaseModel):
    week: str
    starts_on: date
    ends_on: date
    sites: list[SiteRound]
    next_cursor: str | None = None  # admins: pass it back as `cursor` for the next page of sites
