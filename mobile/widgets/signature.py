"""A signature pad: a finger draws lines on white; the drawing is kept as an opaque PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.graphics import Color, Line, PopMatrix, PushMatrix, Translate
from kivy.metrics import dp
from kivy.properties import BooleanProperty
from kivy.uix.widget import Widget
from PIL import Image

INK = (0.08, 0.10, 0.25, 1)


class SignaturePad(Widget):
    """Touches inside the pad draw strokes (canvas Lines, in the pad's own coordinates, so they move with
    it when the layout changes); `export(path)` writes them as a white-backed PNG."""

    has_ink = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.strokes: list[Line] = []
        self._begin()
        self.bind(pos=self._moved)

    def _begin(self) -> None:
        with self.canvas:
            PushMatrix()
            self._origin = Translate(self.x, self.y)
        self.canvas.after.insert(0, PopMatrix())  # before the frame the kv rule draws in window coordinates

    def _moved(self, *_args: Any) -> None:
        self._origin.xy = (self.x, self.y)

    def on_touch_down(self, touch: Any) -> bool:
        if not self.collide_point(*touch.pos) or self.disabled:
            return super().on_touch_down(touch)
        touch.grab(self)
        x, y = touch.x - self.x, touch.y - self.y
        with self.canvas:
            Color(*INK)
            line = Line(points=[x, y, x, y], width=dp(1.6), cap="round", joint="round")
        touch.ud[f"signature-{id(self)}"] = line
        self.strokes.append(line)
        self.has_ink = True
        return True

    def on_touch_move(self, touch: Any) -> bool:
        line = touch.ud.get(f"signature-{id(self)}")
        if touch.grab_current is not self or line is None:
            return super().on_touch_move(touch)
        x = min(max(touch.x, self.x), self.right) - self.x
        y = min(max(touch.y, self.y), self.top) - self.y
        line.points += [x, y]
        return True

    def on_touch_up(self, touch: Any) -> bool:
        if touch.grab_current is self:
            touch.ungrab(self)
            return True
        return super().on_touch_up(touch)

    def clear(self) -> None:
        for line in self.strokes:
            self.canvas.remove(line)
        self.strokes = []
        self.strokes = []
        self.has_ink = False

    def export(self, path: str | Path) -> Path:
        """The pad as drawn (white paper, ink), as an RGB PNG at `path` (no transparency to turn black)."""
        path = Path(path)
        self.export_to_png(str(path))
        with Image.open(path) as drawn:
            drawn.load()
            paper = Image.new("RGB", drawn.size, "white")
            paper.paste(drawn, mask=drawn.getchannel("A") if drawn.mode == "RGBA" else None)
        paper.save(path, "PNG")
        return path
