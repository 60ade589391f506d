"""A row of photo thumbnails with an 'add photo' tile, and a labelled before/after/verification column."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.image import Image
from kivymd.uix.boxlayout import MDBoxLayout


class Thumbnail(ButtonBehavior, Image):
    pass


class AddPhotoTile(ButtonBehavior, MDBoxLayout):
    pass


class PhotoStrip(MDBoxLayout):
    """`photos` is a list of local image paths ('' for one still downloading)."""

    photos = ListProperty()
    editable = BooleanProperty(False)
    tile = NumericProperty("88dp")
    __events__ = ("on_add", "on_remove")

    def on_photos(self, *_args) -> None:  # type: ignore[no-untyped-def]
        self._rebuild()

    def on_editable(self, *_args) -> None:  # type: ignore[no-untyped-def]
        self._rebuild()

    def _rebuild(self) -> None:
        row = self.ids.row
        row.clear_widgets()
        for index, path in enumerate(self.photos):
            thumb = Thumbnail(source=path or "", size_hint=(None, None), size=(self.tile, self.tile), fit_mode="cover")
            if self.editable:
                thumb.bind(on_release=lambda _w, i=index: self.dispatch("on_remove", i))
            row.add_widget(thumb)
        if self.editable:
            tile = AddPhotoTile(size_hint=(None, None), size=(self.tile, self.tile))
            tile.bind(on_release=lambda *_: self.dispatch("on_add"))
            row.add_widget(tile)

    def on_add(self) -> None:
        pass

    def on_remove(self, index: int) -> None:
        pass


class EmptyPhoto(MDBoxLayout):
    """The grey square of a stage that has no photo yet."""


class PhotoColumn(MDBoxLayout):
    """One stage of a hazard's photos (before / after / verification) with its caption."""

    title = StringProperty("")
    photos = ListProperty()

    def on_kv_post(self, base_widget) -> None:  # type: ignore[no-untyped-def]
        self.on_photos()

    def on_photos(self, *_args) -> None:  # type: ignore[no-untyped-def]
        grid = self.ids.grid
        grid.clear_widgets()
        if not self.photos:
            grid.add_widget(EmptyPhoto())
        for path in self.photos:
            thumb = Thumbnail(source=path or "", size_hint=(1, None), fit_mode="cover")
            thumb.bind(width=lambda w, width: setattr(w, "height", width * 0.8))
            grid.add_widget(thumb)
