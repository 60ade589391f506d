"""Joint inspections (联查联检) and the revisit (回访) of closed red hazards: the shared words and limits.

A joint inspection names people from other units who walked the round with the officer, and ends with the
property company's representative signing on the phone (a photo of kind `signature`). A red hazard that is
closed is revisited some days later: still fixed (confirmed), or reopened with a photo."""

from __future__ import annotations

from typing import Any

# The units a participant comes from, in the order the phone offers them.
PARTICIPANT_UNIT_NAMES: dict[str, dict[str, str]] = {
    "police": {"zh": "公安", "en": "Police"},
    "building": {"zh": "住建", "en": "Housing and construction"},
    "market": {"zh": "市场监管", "en": "Market supervision"},
    "housing": {"zh": "房管", "en": "Housing management"},
    "property": {"zh": "物业", "en": "Property company"},
    "other": {"zh": "其他", "en": "Other"},
}
PARTICIPANT_UNITS: tuple[str, ...] = tuple(PARTICIPANT_UNIT_NAMES)
MAX_PARTICIPANTS = 20
SIGNATURE_PHOTO_KIND = "signature"

REVISIT_STATUS_NAMES: dict[str, dict[str, str]] = {
    "due": {"zh": "待回访", "en": "due"},
    "confirmed": {"zh": "回访确认", "en": "still fixed"},
    "reopened": {"zh": "回访重开", "en": "reopened"},
}
REVISIT_STATUSES: tuple[str, ...] = tuple(REVISIT_STATUS_NAMES)
# outcome the officer gives -> the revisit's status
REVISIT_OUTCOMES: dict[str, str] = {"confirmed": "confirmed", "reopen": "reopened"}
REVISIT_SEVERITIES: tuple[str, ...] = ("red",)  # which closed hazards are revisited
REVISIT_REOPEN_NOTE = {"zh": "回访发现问题复发", "en": "found broken again at the revisit"}


def is_joint(participants: list[dict[str, Any]] | None) -> bool:
    """An inspection is joint (联查联检) when it names at least one participant from another unit."""
    return bool(participants)


def unknown_units(participants: list[dict[str, Any]]) -> list[str]:
    """The units named that are not in PARTICIPANT_UNITS, each once, in the order given."""
    return list(dict.fromkeys(str(p.get("unit")) for p in participants if p.get("unit") not in PARTICIPANT_UNITS))
