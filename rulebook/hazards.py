"""What a hazard is called and when it is due: ids, descriptions with the officer's note, deadlines."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta, tzinfo

NOT_MET = {"zh": "不符合：", "en": "Not met: "}


def hazard_id_for(inspection_id: uuid.UUID | str, item_id: str) -> uuid.UUID:
    """The id of the hazard a failed item raises: the phone knows it before it syncs."""
    return uuid.uuid5(uuid.UUID(str(inspection_id)), item_id)


def failed_item_description(prompt_zh: str, note: str | None) -> str:
    """A checklist prompt states the safe condition; the hazard reads as its failure, then the officer's note.

    The first line is the headline ("不符合：…"); every line after it is the note, exactly as written."""
    headline = NOT_MET["zh"] + prompt_zh.strip()
    return f"{headline}\n{note}" if note and note.strip() else headline


def officer_note(description: str | None) -> str:
    """The officer's own words in a failed item's hazard: everything after the headline, exactly as written
    (a note that quotes the prompt keeps the quote)."""
    _headline, _newline, note = (description or "").partition("\n")
    return note.strip()


def headline(prompt: str, lang: str) -> str:
    """A failed item's title in `lang`, from its prompt in that language."""
    return NOT_MET.get(lang, NOT_MET["zh"]) + prompt


def default_deadline(*, found_at: datetime, days: int, tz: tzinfo) -> datetime:
    """End of the local day, `days` days after the hazard was found."""
    local_day = found_at.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(local_day, time(23, 59, 59), tz)
