"""What every screen shares: its parameters, the app, background calls, reloading when data changes."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.properties import BooleanProperty, DictProperty, StringProperty
from kivymd.uix.screen import MDScreen


class BaseScreen(MDScreen):
    """Screens get what they show from `app.backend` (off the UI thread) and their `params`.

    `refresh()` loads; it runs on entering, on a language switch and after a sync while visible.
    """

    params = DictProperty()
    loading = BooleanProperty(False)
    error = StringProperty("")

    @property
    def app(self) -> Any:
        return App.get_running_app()

    def on_kv_post(self, base_widget: Any) -> None:
        super().on_kv_post(base_widget)
        self.app.bind(data_version=self._data_changed)

    def on_pre_enter(self, *_args: Any) -> None:
        self.refresh()

    def _data_changed(self, *_args: Any) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

    def refresh(self) -> None:
        """Reload what the screen shows (override)."""

    def language_changed(self) -> None:
        """Show the same things in the new language; forms override this to keep what was typed."""
        self.refresh()

    def load(self, fn: Any, *args: Any, then: Any, **kwargs: Any) -> None:
        """Run fn off the UI thread, then `then(result)` on it; failures land in `error`."""
        self.loading = True

        def done(result: Any) -> None:
            self.loading = False
            self.error = ""
            then(result)

        def failed(error: BaseException) -> None:
            self.loading = False
            self.error = self.app.explain(error)

        self.app.tasks.run(fn, *args, on_done=done, on_error=failed, **kwargs)

    def act(self, fn: Any, *args: Any, then: Any = None, saved: str = "", **kwargs: Any) -> None:
        """Like load, for a user action: a refusal is shown as a message, success optionally toasted."""

        def done(result: Any) -> None:
            if saved:
                self.app.toast(saved)
            if then is not None:
                then(result)

        def failed(error: BaseException) -> None:
            self.app.toast(self.app.explain(error))

        self.app.tasks.run(fn, *args, on_done=done, on_error=failed, **kwargs)

    def save_in_background(self, button: Any, fn: Any, *args: Any, saved: str, **kwargs: Any) -> None:
        """A form's save: the button waits while fn runs off the UI thread; then a toast and back to the
        previous screen, or the reason in `error` (nothing typed is lost)."""
        self.error = ""
        button.disabled = True

        def done(_result: Any) -> None:
            button.disabled = False
            self.app.toast(saved)
            self.app.local_change()
            self.app.back()

        def failed(error: BaseException) -> None:
            button.disabled = False
            self.error = self.app.explain(error)

        self.app.tasks.run(fn, *args, on_done=done, on_error=failed, **kwargs)


class PhotoFormMixin:
    """A form with a photo strip (ids.photos) of the files in self.photos: camera in, tap to remove."""

    photos: list[str]

    def add_photo(self) -> None:
        def taken(path: str | None) -> None:
            if path:
                location = self.app.location  # type: ignore[attr-defined]
                self.app.backend.note_photo_fix(path, location.fix() if location else None)  # type: ignore[attr-defined]
                self.photos.append(path)
                self.ids.photos.photos = list(self.photos)  # type: ignore[attr-defined]

        self.app.camera.take_photo(taken)  # type: ignore[attr-defined]

    def remove_photo(self, index: int) -> None:
        if index < len(self.photos):
            self.photos.pop(index)
            self.ids.photos.photos = list(self.photos)  # type: ignore[attr-defined]
