"""What a finished checklist run owes before it can be submitted — judged the same on the phone (before the
officer taps submit) and on the server (before it stores the run)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

RESULTS = ("pass", "fail", "na")


def unmet_answers(
    applicable: Iterable[tuple[str, bool]], answers: Mapping[str, tuple[str | None, int]]
) -> tuple[list[str], list[str]]:
    """(items with no answer, failed items without the photo they need), in template order.

    `applicable`: (item id, photo_required_on_fail) for each item that applies to the site;
    `answers`: item id -> (result or None, number of photos)."""
    unanswered, no_photo = [], []
    for item_id, photo_required in applicable:
        result, photos = answers.get(item_id, (None, 0))
        if result is None:
            unanswered.append(item_id)
        elif result == "fail" and photo_required and not photos:
            no_photo.append(item_id)
    return unanswered, no_photo
