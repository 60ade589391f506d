"""A full-width button whose label stays centred (MDButton pins its text to the left edge)."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ColorProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivymd.uix.button import MDButton
from kivymd.uix.label import MDLabel


class WideButton(MDButton):
    """MDButton that fills its width, with the icon and text centred together."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("theme_width", "Custom")
        kwargs.setdefault("size_hint_x", 1)
        super().__init__(*args, **kwargs)
        self.bind(size=lambda *_: Clock.schedule_once(self.adjust_pos, 0))

    def add_widget(self, widget, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = super().add_widget(widget, *args, **kwargs)
        if widget is self._button_text:
            widget.bind(texture_size=lambda *_: Clock.schedule_once(self.adjust_pos, 0))
        return result

    def adjust_pos(self, *args) -> None:  # type: ignore[no-untyped-def]
        text, icon = self._button_text, self._button_icon
        if text is None:
            return
        gap = dp(8) if icon else 0
        total = text.width + (icon.width + gap if icon else 0)
        left = max(dp(12), (self.width - total) / 2)
        if icon:
            icon.x = left
            text.x = left + icon.width + gap
        else:
            text.x = left

    def adjust_width(self, *args) -> None:  # type: ignore[no-untyped-def]
        self.adjust_pos()


class FilterChip(ButtonBehavior, MDLabel):
    """A round toggle label for filters and multiple choice (topics, language)."""

    active = BooleanProperty(False)
    chip_color = ColorProperty([0.0, 0.42, 0.40, 1])


class HazardActionButton(WideButton):
    """One step of the hazard workflow the user may take (its icon and label come from the kv rule)."""

    action = StringProperty("")
    icon = StringProperty("")
    label = StringProperty("")
