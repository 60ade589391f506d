"""Text in the theme's type scale on a plain Kivy label: for rows a list repeats many times.

A KivyMD label carries four canvas layers (background, outline, state layer, text) and a dozen rule
lookups; drawn by software GL on a phone that is most of what a checklist row costs. This label takes
the same font, size and line height from the theme's font styles and draws only its text."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.properties import ListProperty
from kivy.uix.label import Label


def theme_font(style: str, role: str) -> dict[str, Any]:
    """The theme's font for a style and role (Body/large, Title/small, Icon/large...)."""
    app = App.get_running_app()
    if app is not None and hasattr(app, "theme_cls"):
        return app.theme_cls.font_styles[style][role]
    from kivymd.font_definitions import theme_font_styles

    return theme_font_styles[style][role]


class ThemeText(Label):
    """A label set in the theme's font style and role, written as `font_style: "Body", "large"`."""

    font_style = ListProperty(["Body", "large"])

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_font_style(self, self.font_style)

    def on_font_style(self, _widget: Any, value: list[str]) -> None:
        font = theme_font(*value)
        self.font_name = font["font-name"]
        self.font_size = font["font-size"]
        self.line_height = font["line-height"]
