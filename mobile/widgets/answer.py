"""Pass / fail / n.a. as three large thumb-sized toggles."""

from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivymd.uix.boxlayout import MDBoxLayout
from kivymd.uix.label import MDLabel

from mobile.widgets.colors import ANSWER

RESULTS = ("pass", "fail", "na")


class AnswerChoice(ButtonBehavior, MDLabel):
    """One toggle; `selected` fills it with the answer's colour."""

    value = StringProperty("")
    selected_value = StringProperty("")

    def fill_color(self, value: str, selected: str) -> tuple:
        return ANSWER[value] if value == selected and value else (0, 0, 0, 0)


class AnswerButtons(MDBoxLayout):
    """Fires on_answer(result) when the user taps a choice; `result` is what is chosen now ('' for none)."""

    result = StringProperty("")
    __events__ = ("on_answer",)

    def choose(self, value: str) -> None:
        self.result = value
        self.dispatch("on_answer", value)

    def on_answer(self, value: str) -> None:
        pass
