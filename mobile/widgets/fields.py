"""MDTextField whose hint and helper texts follow their labels (a language switch, text set from code)."""

from __future__ import annotations

from kivymd.uix.textfield import MDTextField, MDTextFieldHelperText, MDTextFieldHintText


class TextField(MDTextField):
    """KivyMD 2.0 draws the hint and helper labels from textures it copies only on focus changes; when
    the label's text changes, Kivy frees the old texture and the field shows a black box (or the old
    language). Re-point the field's rectangles at the label's current texture whenever it changes."""

    def add_widget(self, widget, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = super().add_widget(widget, *args, **kwargs)
        if isinstance(widget, MDTextFieldHintText):
            widget.bind(texture=self._sync_hint, texture_size=self._sync_hint)
        elif isinstance(widget, MDTextFieldHelperText):
            widget.bind(texture=self._sync_helper, texture_size=self._sync_helper)
        return result

    def _sync_hint(self, label, *_args) -> None:  # type: ignore[no-untyped-def]
        for rectangle in self.canvas.after.get_group("hint-text-rectangle"):
            rectangle.texture = label.texture
            rectangle.size = label.texture_size
            rectangle.pos = self.get_adjusted_pos_hint_text_label()

    def _sync_helper(self, label, *_args) -> None:  # type: ignore[no-untyped-def]
        for rectangle in self.canvas.before.get_group("helper-text-rectangle"):
            rectangle.texture = label.texture
            rectangle.size = label.texture_size
            rectangle.pos = self.get_adjusted_pos_helper_text_label()
