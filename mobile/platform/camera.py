"""Taking a photo: plyer's camera on Android, a file chooser on a desktop, a fixed file in tests.

Every camera calls back with the path of a new image file, or None if the user gave up; the callback
always runs on the UI thread.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from kivy.clock import mainthread

PhotoCallback = Callable[[str | None], None]
IMAGE_PATTERNS = ["*.jpg", "*.jpeg", "*.png", "*.JPG", "*.JPEG", "*.PNG", "*.webp"]


class Camera(Protocol):
    def take_photo(self, on_photo: PhotoCallback) -> None: ...


def _new_photo_path(suffix: str = ".jpg") -> Path:
    folder = Path(tempfile.gettempdir()) / "saferound-camera"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"photo-{time.time_ns()}{suffix}"


class PlyerCamera:
    """Android: the system camera app writes a JPEG where we ask it to."""

    def take_photo(self, on_photo: PhotoCallback) -> None:
        from plyer import camera

        target = str(_new_photo_path())

        @mainthread
        def done(path: str | None) -> bool:
            on_photo(path if path and Path(path).exists() else None)
            return False  # plyer: do not delete the file

        try:
            camera.take_picture(filename=target, on_complete=done)
        except NotImplementedError:
            on_photo(None)


class FixedFileCamera:
    """Returns a copy of one image file every time (tests, demos)."""

    def __init__(self, source: str | Path) -> None:
        self.source = Path(source)
        self.taken: list[str] = []

    def take_photo(self, on_photo: PhotoCallback) -> None:
        target = _new_photo_path(self.source.suffix or ".jpg")
        shutil.copyfile(self.source, target)
        self.taken.append(str(target))
        mainthread(on_photo)(str(target))


class DesktopFileCamera:
    """Desktop: pick an image file; the chooser is a full-screen popup sized for a phone window."""

    def take_photo(self, on_photo: PhotoCallback) -> None:
        from kivy.app import App
        from kivy.uix.filechooser import FileChooserListView
        from kivy.uix.popup import Popup
        from kivymd.uix.boxlayout import MDBoxLayout
        from kivymd.uix.button import MDButton, MDButtonText

        app = App.get_running_app()
        layout = MDBoxLayout(orientation="vertical", spacing="8dp", padding="8dp")
        chooser = FileChooserListView(path=str(Path.home()), filters=IMAGE_PATTERNS)
        buttons = MDBoxLayout(size_hint_y=None, height="56dp", spacing="8dp")
        popup = Popup(
            title=app.tr("photo.choose") if app else "Choose a photo",
            content=layout,
            size_hint=(0.96, 0.9),
            title_font="Roboto",
        )
        cancel = MDButton(MDButtonText(text=app.tr("common.cancel") if app else "Cancel"), style="text")
        choose = MDButton(MDButtonText(text=app.tr("photo.use") if app else "Use photo"), style="filled")

        def finish(path: str | None) -> None:
            popup.dismiss()
            on_photo(path)

        cancel.bind(on_release=lambda *_: finish(None))
        choose.bind(on_release=lambda *_: finish(chooser.selection[0] if chooser.selection else None))
        buttons.add_widget(cancel)
        buttons.add_widget(choose)
        layout.add_widget(chooser)
        layout.add_widget(buttons)
        popup.open()
