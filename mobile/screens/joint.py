"""A joint inspection (联查联检): who from other units took part, and the property representative's
signature, drawn on the pad at the end of the run and kept with it until the run is submitted."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import NumericProperty, StringProperty
from kivymd.uix.boxlayout import MDBoxLayout

from mobile.screens.base import BaseScreen
from mobile.screens.checklist import RunScreenMixin
from mobile.screens.format import people_text, signed_text  # noqa: F401  (the review screen shows them too)
from rulebook.joint import PARTICIPANT_UNITS
from rulebook.messages import RuleViolation


class ParticipantRow(MDBoxLayout):
    """One participant: unit, name, and a button that takes them off the list."""

    unit_name = StringProperty("")
    person = StringProperty("")
    index = NumericProperty(0)
    __events__ = ("on_remove",)

    def on_remove(self) -> None:
        pass


class JointScreen(RunScreenMixin, BaseScreen):
    unit = "police"

    def on_kv_post(self, base_widget: Any) -> None:
        super().on_kv_post(base_widget)
        self.app.bind(
            run_version=lambda *_: self.show() if self.manager and self.manager.current == self.name else None
        )

    def refresh(self) -> None:
        box = self.ids.units
        box.clear_widgets()
        for unit in PARTICIPANT_UNITS:
            chip = Factory.FilterChip(text=self.app.tr(f"unit.{unit}"), active=unit == self.unit)
            chip.unit = unit
            chip.bind(on_release=lambda w: self.choose_unit(w.unit))
            box.add_widget(chip)
        self.show()

    def language_changed(self) -> None:
        for chip in self.ids.units.children:
            chip.text = self.app.tr(f"unit.{chip.unit}")
        self.show()

    def choose_unit(self, unit: str) -> None:
        self.unit = unit
        for chip in self.ids.units.children:
            chip.active = chip.unit == unit

    def show(self) -> None:
        run = self.app.current_run
        if not run:
            return
        tr = self.app.tr
        box = self.ids.people
        box.clear_widgets()
        for index, person in enumerate(run.get("participants", [])):
            row = Factory.ParticipantRow(unit_name=tr(f"unit.{person['unit']}"), person=person["name"], index=index)
            row.bind(on_remove=lambda w: self.remove(w.index))
            box.add_widget(row)
        if not run.get("participants"):
            box.add_widget(Factory.EmptyNote(text=tr("joint.none"), padding=(0, 4)))
        signature = run.get("signature")
        self.ids.signed.text = signed_text(signature, tr)
        if signature and not self.ids.signer.text:
            self.ids.signer.text = signature["signer_name"]

    def add(self) -> None:
        name = self.ids.person.text

        def added(run: dict[str, Any]) -> None:
            self.ids.person.text = ""
            self.app.set_run(run)

        self.act(self.app.backend.add_participant, self.app.current_run["inspection_id"], self.unit, name, then=added)

    def remove(self, index: int) -> None:
        self.act(
            self.app.backend.remove_participant, self.app.current_run["inspection_id"], index, then=self.app.set_run
        )

    def clear_pad(self) -> None:
        self.ids.pad.clear()

    def sign(self) -> None:
        """Keep what is drawn as the signature (a PNG, then a `signature` photo of the run)."""
        pad = self.ids.pad
        if not pad.has_ink:
            self.app.toast(self.app.explain(RuleViolation("signature_empty")))
            return
        run_id = self.app.current_run["inspection_id"]
        path = pad.export(self.app.backend.data_dir / f"signature-{run_id}.png")
        fix = self.app.location.fix() if self.app.location else None

        def signed(run: dict[str, Any]) -> None:
            path.unlink(missing_ok=True)  # the phone keeps its own copy, as a photo
            self.app.set_run(run)

        self.act(self.app.backend.sign_run, run_id, str(path), self.ids.signer.text, fix, then=signed)
