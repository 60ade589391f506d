"""What screens show, made from cached records: pure functions, no store and no network."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mobile.services.checklist_run import ChecklistRun
from rulebook.hazards import officer_note

# Photo kinds shown in the three columns of a hazard: before / after (evidence) / verification.
PHOTO_COLUMNS = {"problem": "before", "scene": "before", "rectification": "after", "verification": "verification"}


def decorate_hazards(
    hazards: list[dict[str, Any]], *, site_names: dict[str, str], item_prompts: dict[str, dict], notified: set[str]
) -> list[dict[str, Any]]:
    """Hazards with the names a screen shows (site, the checklist item's prompt, the officer's note) and
    'notified' for those on a notice issued on this phone that the server has not taken yet."""
    out = []
    for hazard in hazards:
        shown = dict(hazard)
        shown["site_name"] = shown.get("site_name") or site_names.get(str(hazard.get("site_id")), "")
        if hazard.get("item_id"):
            shown["item_prompt"] = item_prompts.get(hazard["item_id"])
        # A failed item's hazard is titled by its item; the officer's note is what follows the headline.
        shown["note_text"] = officer_note(hazard.get("description")) if hazard.get("item_id") else ""
        if str(hazard["id"]) in notified and shown.get("status") == "open":
            shown["status"] = "notified"
            shown["pending_actions"] = list(shown.get("pending_actions") or []) + ["notify"]
        if not shown.get("deadline"):
            shown["deadline"] = None
        out.append(shown)
    return out


def run_snapshot(run: ChecklistRun, photo_path: Callable[[str], Path | None]) -> dict[str, Any]:
    """A checklist run as plain data for the run screens."""
    items = []
    for item in run.applicable_items():
        answer = run.answers.get(item["id"])
        photos = [{"id": p, "path": str(photo_path(p) or "")} for p in (answer.photo_ids if answer else [])]
        items.append(
            {
                "id": item["id"],
                "prompt": item["prompt"],
                "guidance": item.get("guidance"),
                "remedy": item.get("remedy"),
                "basis": item.get("basis"),
                "severity": item.get("severity_on_fail"),
                "photo_required": bool(item.get("photo_required_on_fail")),
                "result": answer.result if answer else None,
                "note": answer.note if answer else None,
                "photos": photos,
            }
        )
    answered, total = run.progress()
    return {
        "inspection_id": run.inspection_id,
        "site_id": run.site_id,
        "site_name": run.site.get("name", ""),
        "category": run.category,
        "title": run.template.get("title"),
        "items": items,
        "answered": answered,
        "total": total,
        "problems": [{"item_id": p.item_id, "code": p.code, "message": p.message} for p in run.missing()],
        "hazard_ids": run.hazard_ids(),
        "participants": [dict(p) for p in run.participants],
        "signature": (
            {**run.signature, "path": str(photo_path(run.signature["photo_id"]) or "")} if run.signature else None
        ),
    }


def language_from_server(code: str | None) -> str | None:
    return {"zh": "zh_CN", "zh_CN": "zh_CN", "en": "en"}.get(code or "")


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
