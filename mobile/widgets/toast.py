"""A short message at the bottom of the screen.

Not MDSnackbar: its M3 ripple builds an Fbo with its own shader in __init__ (which fails on some GL
drivers while the snackbar is still 0 px high) and its elevation shadow compiles a shader for every
message, a visible hitch on slower GPUs. A message needs neither: this is a rounded label that fades.
"""

from __future__ import annotations

from kivy.animation import Animation
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp
from kivymd.uix.label import MDLabel

_current: list[MDLabel] = []


class Toast(MDLabel):
    def __init__(self, text: str, duration: float = 2.5, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(text=text, **kwargs)
        self.duration = duration
        self.size_hint = (None, None)
        self.halign = "left"
        self.valign = "middle"
        self.padding = (dp(16), dp(12))
        self.theme_text_color = "Custom"
        self.font_style, self.role = "Body", "medium"
        self.text_color = self.theme_cls.inverseOnSurfaceColor
        self.md_bg_color = self.theme_cls.inverseSurfaceColor
        self.radius = [dp(8)]
        self.bind(texture_size=self._fit)

    def _fit(self, *_args) -> None:  # type: ignore[no-untyped-def]
        self.width = Window.width - dp(24)
        self.text_size = (self.width, None)
        self.height = max(dp(48), self.texture_size[1])
        self.x = dp(12)
        self.y = dp(88)

    def open(self) -> None:
        for old in _current:
            old.dismiss()
        _current.append(self)
        self.opacity = 0
        Window.add_widget(self)
        self._fit()
        Animation(opacity=1, d=0.15).start(self)
        Clock.schedule_once(lambda _dt: self.dismiss(), self.duration)

    def dismiss(self) -> None:
        if self in _current:
            _current.remove(self)
        if self.parent is not None:
            self.parent.remove_widget(self)
