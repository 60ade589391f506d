"""One checklist being answered at one site: what applies, what is answered, what is still missing.

Mirrors the server's check (server/inspections/service.py check_answers) so the officer
learns of a problem on the spot, not hours later when the phone finds a signal:
every applicable item needs an answer, and a failed item whose template says
`photo_required_on_fail` needs at least one photo.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rulebook.categories import applies
from rulebook.checklists import RESULTS, unmet_answers
from rulebook.hazards import hazard_id_for as rulebook_hazard_id_for
from rulebook.joint import MAX_PARTICIPANTS, PARTICIPANT_UNITS
from rulebook.messages import RuleViolation


@dataclass(frozen=True)
class Problem:
    """Something that stops the run from being submitted: `code` is "unanswered", "photo_required"
    or "nothing_applies" (item_id "")."""

    item_id: str
    code: str
    message: str


class IncompleteRun(ValueError):
    """finish was asked of a run with problems; `problems` names each one."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))


def applies_to(item: dict[str, Any], profile: dict[str, Any]) -> bool:
    return applies(item.get("applies_if"), profile)


def hazard_id_for(inspection_id: str | uuid.UUID, item_id: str) -> str:
    """The id the server gives the hazard a failed item raises — known on the phone before any sync."""
    return str(rulebook_hazard_id_for(inspection_id, item_id))


@dataclass
class Answer:
    result: str | None = None
    note: str | None = None
    photo_ids: list[str] = field(default_factory=list)


class ChecklistRun:
    """The state of one run. Create with `ChecklistRun.new(site, template)`; the facade saves it as a draft
    after every change (`Phone.save_answer`)."""

    def __init__(
        self,
        *,
        inspection_id: str,
        site: dict[str, Any],
        template: dict[str, Any],
        started_at: str,
        answers: dict[str, Answer] | None = None,
        lat: float | None = None,
        lon: float | None = None,
        accuracy: float | None = None,
        finish_fix: dict[str, float] | None = None,
        participants: list[dict[str, str]] | None = None,
        signature: dict[str, Any] | None = None,
    ):
        self.inspection_id = str(inspection_id)
        self.site = site
        self.template = template
        self.started_at = started_at
        self.answers: dict[str, Answer] = answers or {}
        self.lat = lat  # where the run started (the first fix the phone had), with its accuracy in metres
        self.lon = lon
        self.accuracy = accuracy
        self.finish_fix = finish_fix  # {lat, lon, accuracy?} when the officer submitted
        # A joint inspection (联查联检): who from other units took part, and the property company's on-site
        # signature {photo_id, signer_name, signed_at, lat?, lon?} (the photo is of kind `signature`).
        self.participants: list[dict[str, str]] = list(participants or [])
        self.signature = signature
        self._items = {item["id"]: item for item in template["items"]}

    @classmethod
    def new(
        cls,
        site: dict[str, Any],
        template: dict[str, Any],
        *,
        inspection_id: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        accuracy: float | None = None,
    ) -> ChecklistRun:
        return cls(
            inspection_id=inspection_id or str(uuid.uuid4()),
            site=site,
            template=template,
            started_at=datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
            lat=lat,
            lon=lon,
            accuracy=accuracy,
        )

    def note_fix(self, fix: dict[str, float] | None, *, finishing: bool = False) -> None:
        """Keep the phone's position: the first one known during the run is its start, the last its finish."""
        if not fix or fix.get("lat") is None or fix.get("lon") is None:
            return
        if self.lat is None:
            self.lat, self.lon, self.accuracy = fix["lat"], fix["lon"], fix.get("accuracy")
        if finishing:
            self.finish_fix = dict(fix)

    # ---- what the run is about --------------------------------------------------------------------

    @property
    def site_id(self) -> str:
        return str(self.site["id"])

    @property
    def category(self) -> str:
        return self.template["category"]

    @property
    def template_version(self) -> int:
        return int(self.template["version"])

    def applicable_items(self) -> list[dict[str, Any]]:
        """The template's items that apply to this site, in template order (the rows the screen shows)."""
        profile = self.site.get("profile") or {}
        return [item for item in self.template["items"] if applies_to(item, profile)]

    def item(self, item_id: str) -> dict[str, Any]:
        try:
            return self._items[item_id]
        except KeyError:
            raise KeyError(
                f"{item_id} is not in the {self.category} checklist version {self.template_version}"
            ) from None

    # ---- answering -------------------------------------------------------------------------------

    def answer(
        self, item_id: str, result: str | None = None, *, note: str | None = None, photo_ids: list[str] | None = None
    ) -> Answer:
        """Set what is given (result, note, photos); leave the rest as it was. result None keeps it."""
        item = self.item(item_id)
        if not applies_to(item, self.site.get("profile") or {}):
            raise RuleViolation("item_not_applicable", site=self.site.get("name", ""))
        if result is not None and result not in RESULTS:
            raise RuleViolation("bad_answer")
        current = self.answers.setdefault(item_id, Answer())
        if result is not None:
            current.result = result
        if note is not None:
            current.note = note.strip() or None
        if photo_ids is not None:
            current.photo_ids = list(dict.fromkeys(str(p) for p in photo_ids))
        return current

    def add_photo(self, item_id: str, photo_id: str) -> None:
        current = self.answers.setdefault(item_id, Answer())
        if str(photo_id) not in current.photo_ids:
            current.photo_ids.append(str(photo_id))

    def remove_photo(self, item_id: str, photo_id: str) -> None:
        if item_id in self.answers:
            self.answers[item_id].photo_ids = [p for p in self.answers[item_id].photo_ids if p != str(photo_id)]

    def clear(self, item_id: str) -> None:
        self.answers.pop(item_id, None)

    # ---- a joint inspection ---------------------------------------------------------------------------

    def add_participant(self, unit: str, name: str) -> None:
        """Someone from another unit who took part; refused as the server would refuse it."""
        name = (name or "").strip()
        if unit not in PARTICIPANT_UNITS:
            raise RuleViolation("unknown_participant_unit", units=[unit], allowed=list(PARTICIPANT_UNITS))
        if not name:
            raise RuleViolation("participant_name_required")
        if len(self.participants) >= MAX_PARTICIPANTS:
            raise RuleViolation("too_many_participants", limit=MAX_PARTICIPANTS)
        self.participants.append({"unit": unit, "name": name[:50]})

    def remove_participant(self, index: int) -> None:
        if 0 <= index < len(self.participants):
            del self.participants[index]

    def sign(self, photo_id: str, signer_name: str, *, signed_at: str, lat: float | None, lon: float | None) -> None:
        signer_name = (signer_name or "").strip()
        if not signer_name:
            raise RuleViolation("signer_name_required")
        self.signature = {"photo_id": str(photo_id), "signer_name": signer_name[:50], "signed_at": signed_at}
        if lat is not None and lon is not None:
            self.signature["lat"], self.signature["lon"] = lat, lon

    # ---- what is still missing ---------------------------------------------------------------------

    def missing(self) -> list[Problem]:
        """Every problem at once, in template order: unanswered items, failed items lacking their photo."""
        if not self.applicable_items():
            return [
                Problem(
                    "",
                    "nothing_applies",
                    f"No item of this checklist applies to {self.site.get('name', 'this site')}; nothing to submit.",
                )
            ]
        items = {item["id"]: item for item in self.applicable_items()}
        unanswered, no_photo = unmet_answers(
            [(item_id, bool(item.get("photo_required_on_fail"))) for item_id, item in items.items()],
            {item_id: (a.result, len(a.photo_ids)) for item_id, a in self.answers.items()},
        )
        return [Problem(i, "unanswered", f"“{_prompt(items[i])}” has no answer yet.") for i in unanswered] + [
            Problem(i, "photo_required", f"“{_prompt(items[i])}” failed and needs a photo of the problem.")
            for i in no_photo
        ]

    @property
    def is_complete(self) -> bool:
        return not self.missing()

    def progress(self) -> tuple[int, int]:
        """(answered, applicable) for a progress bar."""
        items = self.applicable_items()
        answered = sum(1 for i in items if (a := self.answers.get(i["id"])) and a.result)
        return answered, len(items)

    def failed_item_ids(self) -> list[str]:
        return [i["id"] for i in self.applicable_items() if (a := self.answers.get(i["id"])) and a.result == "fail"]

    def hazard_ids(self) -> dict[str, str]:
        """{failed item id: the id of the hazard it will raise}."""
        return {item_id: hazard_id_for(self.inspection_id, item_id) for item_id in self.failed_item_ids()}

    def photo_ids(self) -> list[str]:
        """Every photo the submission names: the answers' and the on-site signature."""
        answers = [p for i in self.applicable_items() for p in (self.answers.get(i["id"]) or Answer()).photo_ids]
        signature = [self.signature["photo_id"]] if self.signature else []
        return list(dict.fromkeys(answers + signature))

    # ---- the submission ---------------------------------------------------------------------------

    def to_body(self, finished_at: str | None = None) -> dict[str, Any]:
        """The PUT /inspections/{id} body; raises IncompleteRun if anything is missing."""
        problems = self.missing()
        if problems:
            raise IncompleteRun(problems)
        answers = []
        for item in self.applicable_items():
            answer = self.answers[item["id"]]
            answers.append(
                {
                    "item_id": item["id"],
                    "result": answer.result,
                    "note": answer.note,
                    "photo_ids": list(answer.photo_ids),
                }
            )
        body: dict[str, Any] = {
            "site_id": self.site_id,
            "category": self.category,
            "template_version": self.template_version,
            "started_at": self.started_at,
            "finished_at": finished_at or datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
            "answers": answers,
        }
        if self.lat is not None and self.lon is not None:
            body["start_lat"], body["start_lon"] = self.lat, self.lon
            if self.accuracy is not None:
                body["start_accuracy_m"] = self.accuracy
        finish = self.finish_fix or (
            {"lat": self.lat, "lon": self.lon, "accuracy": self.accuracy} if self.lat is not None else None
        )
        if finish and finish.get("lon") is not None:
            body["lat"], body["lon"] = finish["lat"], finish["lon"]
            if finish.get("accuracy") is not None:
                body["accuracy_m"] = finish["accuracy"]
        if self.participants:
            body["participants"] = [dict(p) for p in self.participants]
        if self.signature:
            body["signature"] = dict(self.signature)
        return body

    def to_state(self) -> dict[str, Any]:
        """What a draft keeps (JSON); the template is referred to by version, the site copied."""
        return {
            "inspection_id": self.inspection_id,
            "site": self.site,
            "category": self.category,
            "template_version": self.template_version,
            "started_at": self.started_at,
            "lat": self.lat,
            "lon": self.lon,
            "accuracy": self.accuracy,
            "finish_fix": self.finish_fix,
            "participants": self.participants,
            "signature": self.signature,
            "answers": {
                k: {"result": a.result, "note": a.note, "photo_ids": a.photo_ids} for k, a in self.answers.items()
            },
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], template: dict[str, Any]) -> ChecklistRun:
        return cls(
            inspection_id=state["inspection_id"],
            site=state["site"],
            template=template,
            started_at=state["started_at"],
            lat=state.get("lat"),
            lon=state.get("lon"),
            accuracy=state.get("accuracy"),
            finish_fix=state.get("finish_fix"),
            participants=state.get("participants"),
            signature=state.get("signature"),
            answers={
                k: Answer(v.get("result"), v.get("note"), list(v.get("photo_ids") or []))
                for k, v in state["answers"].items()
            },
        )


def _prompt(item: dict[str, Any]) -> str:
    prompt = item.get("prompt") or {}
    return prompt.get("zh") or prompt.get("en") or item["id"]
