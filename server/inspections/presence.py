"""Proof of presence: flags (never refusals) a supervisor looks at for "desk inspections".

- far_from_site: the phone's fix was farther from the site than settings.presence_far_m;
- no_fix: the phone sent no position;
- clock_skew: the phone's clock (X-Device-Time, sent with every write) differs from the server's on receipt by
  more than settings.presence_clock_skew_seconds. The inspection's own times are not compared with the
  receipt: a run finished offline hours ago and sent now is normal.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import String, cast

PresenceFlag = Literal["far_from_site", "no_fix", "clock_skew"]
PRESENCE_FLAGS: tuple[str, ...] = get_args(PresenceFlag)
FAR_FROM_SITE, NO_FIX, CLOCK_SKEW = PRESENCE_FLAGS
EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), good to well under a metre at a site's scale."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def presence(
    *,
    site_lat: float | None,
    site_lon: float | None,
    fixes: list[tuple[float | None, float | None]],
    device_time: datetime | None,
    received_at: datetime,
    far_m: float,
    skew_seconds: float,
) -> tuple[list[str], float | None, float | None]:
    """(flags, farthest distance of a fix (start, finish) from the site in metres, device clock minus server
    clock in seconds)."""
    flags: list[str] = []
    distance = None
    known = [(lat, lon) for lat, lon in fixes if lat is not None and lon is not None]
    if not known:
        flags.append(NO_FIX)
    elif site_lat is not None and site_lon is not None:
        distance = round(max(distance_m(site_lat, site_lon, lat, lon) for lat, lon in known), 1)
        if distance > far_m:
            flags.append(FAR_FROM_SITE)
    skew = None
    if device_time is not None:
        skew = round((device_time - received_at).total_seconds(), 1)
        if abs(skew) > skew_seconds:
            flags.append(CLOCK_SKEW)
    return flags, distance, skew


def parse_device_time(header: str | None) -> datetime | None:
    """X-Device-Time as ISO 8601 with an offset; anything else counts as not sent."""
    if not header:
        return None
    try:
        value = datetime.fromisoformat(header.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def has_flag(column: Any, flag: str) -> Any:
    """SQL: the JSON list in `column` holds `flag` (as text the list names it in quotes, on SQLite and PostgreSQL)."""
    return cast(column, String).like(f'%"{flag}"%')
