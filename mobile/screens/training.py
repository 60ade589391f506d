"""Log a training session held for residents: date, topics, trainer, attendees, duration, notes, photos."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from kivy.factory import Factory

from mobile.screens.base import BaseScreen, PhotoFormMixin
from rulebook.categories import CATEGORIES


class TrainingScreen(PhotoFormMixin, BaseScreen):
    def refresh(self) -> None:
        tr = self.app.tr
        self.topics: set[str] = set(self.params.get("topics", ()))
        self.photos: list[str] = []
        self.ids.photos.photos = []
        self.ids.held_on.text = date.today().isoformat()
        self.ids.held_at.text = datetime.now().strftime("%H:00")
        for field in ("trainer", "attendees", "duration", "notes"):
            self.ids[field].text = ""
        self.ids.trainer.text = self.app.user.get("display_name", "")
        self.ids.duration.text = "60"
        self.error = ""
        box = self.ids.topics
        box.clear_widgets()
        for category in CATEGORIES:
            chip = Factory.FilterChip(text=tr(f"cat.{category}"), active=category in self.topics)
            chip.category = category
            chip.bind(on_release=self.toggle_topic)
            box.add_widget(chip)
        self.show_title()

    def language_changed(self) -> None:
        for chip in self.ids.topics.children:
            chip.text = self.app.tr(f"cat.{chip.category}")
        self.show_title()

    def show_title(self) -> None:
        self.load(
            self.app.backend.site_name,
            self.params.get("site_id"),
            then=lambda name: setattr(self.ids.bar_title, "text", self.app.tr("training.title_at", site=name)),
        )

    def toggle_topic(self, chip: Any) -> None:
        if chip.category in self.topics:
            self.topics.discard(chip.category)
        else:
            self.topics.add(chip.category)
        chip.active = chip.category in self.topics

    def collect(self) -> dict[str, Any] | None:
        """The form as a training record, or None with `error` saying what to fix."""
        tr = self.app.tr
        try:
            day = date.fromisoformat(self.ids.held_on.text.strip())
            hour = time.fromisoformat(self.ids.held_at.text.strip() or "00:00")
        except ValueError:
            self.error = tr("training.bad_date")
            return None
        if not self.topics:
            self.error = tr("training.need_topic")
            return None
        trainer = self.ids.trainer.text.strip()
        if not trainer:
            self.error = tr("training.need_trainer")
            return None
        try:
            attendees = int(self.ids.attendees.text)
            minutes = int(self.ids.duration.text)
            if attendees < 1 or not 1 <= minutes <= 24 * 60:
                raise ValueError
        except ValueError:
            self.error = tr("training.bad_numbers")
            return None
        held_at = datetime.combine(day, hour).astimezone()
        if held_at > datetime.now().astimezone():
            self.error = tr("training.in_future")
            return None
        return {
            "site_id": self.params["site_id"],
            "held_at": held_at.isoformat(timespec="seconds"),
            "topics": [c for c in CATEGORIES if c in self.topics],
            "trainer": trainer,
            "attendee_count": attendees,
            "duration_minutes": minutes,
            "notes": self.ids.notes.text.strip() or None,
        }

    def save(self) -> None:
        record = self.collect()
        if record is None:
            return
        self.save_in_background(
            self.ids.save,
            self.app.backend.log_training,
            **record,
            photo_paths=list(self.photos),
            saved=self.app.tr("training.saved"),
        )
