"""A checklist run: the scrolling list (one tap per item), one item in full, and the review before submit.

The list is the fast path for a thumb: every item shows its three answers in reach, so a round of
40 items is 40 taps with no page turns. Tapping an item's text opens it in full (guidance, note,
photos) with previous / next to walk one at a time. Every answer is saved at once (autosave).
"""

from __future__ import annotations

import math
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, StringProperty
from kivymd.uix.boxlayout import MDBoxLayout

from mobile.screens.base import BaseScreen
from mobile.screens.format import people_text, signed_text
from mobile.widgets.colors import severity_color

NOTE_SAVE_DELAY = 0.8


class HazardPreview(MDBoxLayout):
    """On the review screen: a failed item and the hazard it will raise."""

    severity = StringProperty("")
    title = StringProperty("")
    detail = StringProperty("")


def estimate_lines(text: str, width_px: float, font_px: float) -> int:
    """How many lines a prompt wraps to (CJK characters are one em wide, Latin about half)."""
    if width_px <= 0:
        return 1
    units = sum(1.0 if ord(ch) > 0x2E80 else 0.52 for ch in text)
    return max(1, math.ceil(units * font_px / width_px))


def marks_for(item: dict[str, Any], tr: Any) -> tuple[str, bool]:
    """The small line under an item: photos, note, and what is still missing."""
    parts, warning = [], False
    if item.get("result") == "fail" and item.get("photo_required") and not item.get("photos"):
        parts.append(tr("run.photo_needed"))
        warning = True
    if item.get("photos"):
        parts.append(tr("run.photos", count=len(item["photos"])))
    if item.get("note"):
        parts.append(tr("run.has_note"))
    return " · ".join(parts), warning


class RunScreenMixin:
    """Shared by the three run screens: the run lives in app.current_run (a snapshot the backend returns)."""

    def item(self, item_id: str) -> dict[str, Any] | None:
        for item in (self.app.current_run or {}).get("items", []):
            if item["id"] == item_id:
                return item
        return None

    def save_answer(self, item_id: str, **changes: Any) -> None:
        """Show the change now, save it on the io lane, then take the backend's snapshot."""
        item = self.item(item_id)
        if item is None:
            return
        item.update({k: v for k, v in changes.items() if v is not None})
        self.app.run_changed()
        self.app.tasks.run(
            self.app.backend.answer_item,
            self.app.current_run["inspection_id"],
            item_id,
            on_done=self.app.set_run,
            on_error=lambda e: self.app.toast(self.app.explain(e)),
            **changes,
        )


class ChecklistScreen(RunScreenMixin, BaseScreen):
    def refresh(self) -> None:
        wanted = (self.params.get("site_id"), self.params.get("category"))
        run = self.app.current_run
        if run and (run.get("site_id"), run.get("category")) == wanted:
            self.show()
            return
        self.ids.rv.data = []
        # Usually already opening (the app starts it before building this screen); show() runs when it is set.
        self.app.open_run(*wanted, on_error=self._failed)

    def _failed(self, error: BaseException) -> None:
        self.error = self.app.explain(error)
        self.app.toast(self.error)

    def on_kv_post(self, base_widget: Any) -> None:
        super().on_kv_post(base_widget)
        self.app.bind(
            run_version=lambda *_: self.show() if self.manager and self.manager.current == self.name else None
        )

    def show(self) -> None:
        run = self.app.current_run
        if not run:
            return
        tr = self.app.tr
        self.ids.bar_title.text = f"{tr('cat.' + run['category'])} · {run.get('site_name', '')}"
        answered, total = run.get("answered", 0), run.get("total", 0)
        self.ids.progress_label.text = tr("run.progress", answered=answered, total=total)
        self.ids.progress.value = 100 * answered / total if total else 0
        width = max(self.width, dp(320)) - dp(24) - dp(26) - dp(20) - dp(12)
        font_px = sp(16)
        data = []
        for number, item in enumerate(run["items"], start=1):
            prompt = self.app.pick(item["prompt"])
            lines = min(4, estimate_lines(prompt, width, font_px))
            marks, warning = marks_for(item, tr)
            data.append(
                {
                    "item_id": item["id"],
                    "number": number,
                    "prompt": prompt,
                    "result": item.get("result") or "",
                    "severity": item.get("severity", ""),
                    "marks": marks,
                    "warning": warning,
                    "handler": self,
                    "height": dp(16) + lines * font_px * 1.3 + dp(6) + dp(48) + (dp(24) if marks else 0),
                }
            )
        self.ids.rv.data = data

    def on_size(self, *_args: Any) -> None:
        if self.app and self.app.current_run:
            Clock.schedule_once(lambda _dt: self.show(), 0)

    def answer(self, item_id: str, result: str) -> None:
        self.save_answer(item_id, result=result)
        item = self.item(item_id)
        if result == "fail" and item and item.get("photo_required") and not item.get("photos"):
            # A failed item needs its photo: take the officer straight to where the camera is.
            self.app.go("item", item_id=item_id, ask_photo=True)

    def open_item(self, item_id: str) -> None:
        self.app.go("item", item_id=item_id)

    def review(self) -> None:
        self.app.go("review")


class ChecklistItemScreen(RunScreenMixin, BaseScreen):
    """One item in full; previous / next walk the list one at a time."""

    guidance_open = BooleanProperty(False)

    def on_kv_post(self, base_widget: Any) -> None:
        super().on_kv_post(base_widget)
        self._note_event = None
        self.app.bind(
            run_version=lambda *_: self.show() if self.manager and self.manager.current == self.name else None
        )

    def refresh(self) -> None:
        self.guidance_open = False
        self.show(note_too=True)

    def show(self, note_too: bool = False) -> None:
        run, item = self.app.current_run, self.item(self.params.get("item_id", ""))
        if not run or item is None:
            return
        tr, pick = self.app.tr, self.app.pick
        ids = [i["id"] for i in run["items"]]
        index = ids.index(item["id"])
        self.ids.bar_title.text = tr("run.item_of", number=index + 1, total=len(ids))
        self.ids.prompt.text = pick(item["prompt"])
        self.ids.severity.text = tr("run.fail_raises", severity=tr(f"sev.{item.get('severity')}"))
        self.ids.severity.text_color = severity_color(item.get("severity", ""))
        self.ids.answers.result = item.get("result") or ""
        self.ids.guidance.text = pick(item.get("guidance"))
        self.ids.remedy.text = tr("run.remedy") + pick(item.get("remedy"))
        self.ids.basis.text = tr("run.basis") + pick(item.get("basis"))
        self.ids.photos.photos = [p.get("path") or "" for p in item.get("photos", [])]
        marks, warning = marks_for(item, tr)
        self.ids.marks.text = marks if warning else ""
        if note_too:
            self.ids.note.text = item.get("note") or ""
        self.ids.previous.disabled = index == 0
        self.ids.next_text.text = tr("run.next") if index < len(ids) - 1 else tr("run.to_review")

    def language_changed(self) -> None:
        self.save_note()
        self.show()

    def toggle_guidance(self) -> None:
        self.guidance_open = not self.guidance_open

    def on_answer(self, result: str) -> None:
        self.save_answer(self.params["item_id"], result=result)

    def on_note(self, text: str) -> None:
        if self._note_event is not None:
            self._note_event.cancel()
        self._note_event = Clock.schedule_once(lambda _dt: self.save_note(), NOTE_SAVE_DELAY)

    def save_note(self) -> None:
        if self._note_event is not None:
            self._note_event.cancel()
            self._note_event = None
        item = self.item(self.params.get("item_id", ""))
        if item is not None and (item.get("note") or "") != self.ids.note.text:
            self.save_answer(item["id"], note=self.ids.note.text)

    def on_pre_leave(self, *_args: Any) -> None:
        self.save_note()

    def add_photo(self) -> None:
        item_id = self.params["item_id"]
        run_id = self.app.current_run["inspection_id"]

        def taken(path: str | None) -> None:
            if not path:
                return
            self.app.tasks.run(
                self.app.backend.add_run_photo,
                run_id,
                item_id,
                path,
                self.app.location.fix() if self.app.location else None,
                on_done=self.app.set_run,
                on_error=lambda e: self.app.toast(self.app.explain(e)),
            )

        self.app.camera.take_photo(taken)

    def remove_photo(self, index: int) -> None:
        item = self.item(self.params["item_id"])
        if item and index < len(item.get("photos", [])):
            photo_id = item["photos"][index]["id"]
            self.app.tasks.run(
                self.app.backend.remove_run_photo,
                self.app.current_run["inspection_id"],
                item["id"],
                photo_id,
                on_done=self.app.set_run,
            )

    def step(self, delta: int) -> None:
        self.save_note()
        ids = [i["id"] for i in self.app.current_run["items"]]
        index = ids.index(self.params["item_id"]) + delta
        if index >= len(ids):
            self.app.back()
            self.app.go("review")
            return
        if 0 <= index < len(ids):
            self.params = {"item_id": ids[index]}
            self.refresh()


class ReviewScreen(RunScreenMixin, BaseScreen):
    """What will be sent: unanswered items and missing photos block; failed items become hazards."""

    def on_kv_post(self, base_widget: Any) -> None:
        super().on_kv_post(base_widget)
        self.app.bind(
            run_version=lambda *_: self.refresh() if self.manager and self.manager.current == self.name else None
        )

    def refresh(self) -> None:
        run = self.app.current_run
        if not run:
            return
        tr, pick = self.app.tr, self.app.pick
        self.ids.summary.text = tr(
            "review.summary",
            answered=run.get("answered", 0),
            total=run.get("total", 0),
            failed=len([i for i in run["items"] if i.get("result") == "fail"]),
        )
        problems = self.ids.problems
        problems.clear_widgets()
        by_id = {i["id"]: i for i in run["items"]}
        numbers = {i["id"]: n for n, i in enumerate(run["items"], start=1)}
        for problem in run.get("problems", []):
            item = by_id.get(problem["item_id"], {})
            text = tr(
                "review.unanswered" if problem["code"] == "unanswered" else "review.photo_missing",
                number=numbers.get(problem["item_id"], "?"),
                prompt=pick(item.get("prompt")),
            )
            button = Factory.ProblemLine(text=text)
            button.bind(on_release=lambda _w, item_id=problem["item_id"]: self.app.go("item", item_id=item_id))
            problems.add_widget(button)
        self.ids.problems_title.opacity = 1 if run.get("problems") else 0
        people = people_text(run.get("participants", []), tr, self.app.lang)
        self.ids.joint_people.text = tr("joint.summary", people=people) if people else tr("joint.no_participants")
        self.ids.joint_signed.text = signed_text(run.get("signature"), tr)
        failed = self.ids.failed
        failed.clear_widgets()
        for item in run["items"]:
            if item.get("result") != "fail":
                continue
            failed.add_widget(
                Factory.HazardPreview(
                    severity=item.get("severity", ""),
                    title=pick(item["prompt"]),
                    detail=" · ".join(
                        x
                        for x in (
                            tr(f"sev.{item.get('severity')}"),
                            tr("run.photos", count=len(item.get("photos", []))),
                            item.get("note") or "",
                        )
                        if x
                    ),
                )
            )
        if not any(i.get("result") == "fail" for i in run["items"]):
            failed.add_widget(Factory.EmptyNote(text=tr("review.no_hazards")))
        self.ids.submit.disabled = bool(run.get("problems"))

    def submit(self) -> None:
        run = self.app.current_run
        self.ids.submit.disabled = True

        def done(_result: Any) -> None:
            self.app.set_run(None)
            self.app.toast(self.app.tr("review.saved"))
            self.app.local_change()
            self.app.back_to("site")

        def failed(error: BaseException) -> None:
            self.ids.submit.disabled = False
            self.app.toast(self.app.explain(error))

        fix = self.app.location.fix() if self.app.location else None
        self.app.tasks.run(self.app.backend.submit_run, run["inspection_id"], fix, on_done=done, on_error=failed)
