"""Pass / fail / n.a. as three large thumb-sized toggles."""

from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from mobile.widgets.colors import ANSWER
from mobile.widgets.text import ThemeText

RESULTS = ("pass", "fail", "na")


class AnswerChoice(ButtonBehavior, ThemeText):
    """One toggle; `selected` fills it with the answer's colour. A plain label (every checklist row has
    three of these)."""

    value = StringProperty("")
    selected_value = StringProperty("")

    def fill_color(self, value: str, selected: str) -> tuple:
        return ANSWER[value] if value == selected and value else (0, 0, 0, 0)


class AnswerButtons(BoxLayout):
    """Fires on_answer(result) when the user taps a choice; `result` is what is chosen now ('' for none)."""

    result = StringProperty("")
    __events__ = ("on_answer",)

    def choose(self, value: str) -> None:
        self.result = value
        self.dispatch("on_answer", value)

    def on_answer(self, value: str) -> None:
        pass
