"""The MDApp: builds the phone's application layer, registers the screens, keeps the app state screens bind to."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    DictProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivymd.app import MDApp

from mobile.background import Background
from mobile.fonts import install_cjk_font
from mobile.i18n import DEFAULT_LANGUAGE, LANGUAGES, explain_code, explain_violation, localized, translate
from mobile.theme import use_packaged_scheme
from rulebook.messages import RuleViolation

if TYPE_CHECKING:
    from kivymd.uix.navigationbar import MDNavigationBar

log = logging.getLogger("saferound.app")

HERE = Path(__file__).parent
# Bottom-bar tabs per role: (screen, icon, label key).
TABS = {
    "officer": (
        ("week", "calendar-week", "nav.week"),
        ("hazards", "alert-octagon-outline", "nav.hazards"),
        ("intake", "inbox-arrow-down-outline", "nav.intake"),
        ("settings", "cog-outline", "nav.settings"),
    ),
    "property": (
        ("notices", "file-document-outline", "nav.notices"),
        ("hazards", "alert-octagon-outline", "nav.hazards"),
        ("settings", "cog-outline", "nav.settings"),
    ),
    # A grid worker reports problems at their sites and follows their own reports.
    "gridworker": (
        ("reports", "clipboard-alert-outline", "nav.reports"),
        ("settings", "cog-outline", "nav.settings"),
    ),
}
TABS["admin"] = TABS["officer"]
HOME = {"officer": "week", "admin": "week", "property": "notices", "gridworker": "reports"}

ROOT_KV = """
<AppRoot@MDBoxLayout>:
    orientation: "vertical"
    md_bg_color: app.theme_cls.backgroundColor
    MDScreenManager:
        id: screens
"""


# A checklist run (list, item, review, joint) and the forms that take photos (hazard action, training, a grid
# worker's report): GPS on.
LOCATING_SCREENS = frozenset({"checklist", "item", "review", "joint", "action", "training", "report"})


def default_data_dir() -> Path:
    given = os.environ.get("SAFEROUND_APP_DATA")
    if given:
        return Path(given)
    try:
        from kivy.utils import platform

        if platform == "android":
            from android.storage import app_storage_path  # type: ignore[import-not-found]

            return Path(app_storage_path()) / "saferound"
    except ImportError:
        pass
    return Path.home() / ".saferound-app"


class SafeRoundApp(MDApp):
    """App state lives here as Kivy properties; screens bind to them and call `backend` (the phone's one
    application layer, mobile.services.Phone) through `tasks`."""

    lang = StringProperty(DEFAULT_LANGUAGE)
    user = DictProperty()
    role = StringProperty("")
    pending_count = NumericProperty(0)
    last_sync = StringProperty("")
    syncing = BooleanProperty(False)
    sync_progress = NumericProperty(0.0)
    sync_message = StringProperty("")
    attention = ListProperty()
    # Bumped whenever local data may have changed (a sync, a saved record); visible screens reload on it.
    data_version = NumericProperty(0)
    backend = ObjectProperty(None, allownone=True)
    # The checklist run being answered (the backend's snapshot); run_version ticks on every change.
    current_run = ObjectProperty(None, allownone=True)
    run_version = NumericProperty(0)

    def __init__(
        self,
        backend: Any = None,
        camera: Any = None,
        location: Any = None,
        data_dir: Path | None = None,
        server_url: str | None = None,
        auto_sync: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # Before MDApp binds these to set_colors (in _run_prepare): the colour scheme is computed once, not twice.
        use_packaged_scheme(self.theme_cls)  # the colours computed when the app was built, not at every launch
        self.theme_cls.primary_palette = "Teal"
        self.theme_cls.theme_style = "Light"
        self.title = "SafeRound 社区安全巡查"
        self.tasks = Background()
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()
        self.default_server_url = server_url or os.environ.get("SAFEROUND_SERVER", "http://127.0.0.1:8000")
        self._backend_given = backend
        self.camera = camera
        self.location = location
        self.auto_sync = auto_sync
        self._history: list[tuple[str, dict]] = []
        self._nav: MDNavigationBar | None = None
        self._opening_run: tuple[str, str] | None = None

    # ---- building -------------------------------------------------------------------------------------

    def build(self):  # type: ignore[no-untyped-def]
        install_cjk_font(self.theme_cls)
        from mobile import platform as device
        from mobile.screens import load_kv as load_screen_kv
        from mobile.services import Phone
        from mobile.widgets import load_kv as load_widget_kv

        self.backend = self._backend_given or Phone(self.data_dir, self.default_server_url, auto_sync=self.auto_sync)
        # Every sync moves the sync bar, whoever asked for it (the phone's scheduler decides when).
        self.backend.add_sync_listener(self._sync_progressed)
        self.camera = self.camera or device.default_camera(on_denied=self.permission_denied)
        self.location = self.location or device.default_location(on_denied=self.permission_denied)
        load_widget_kv()
        load_screen_kv()
        Builder.load_string(ROOT_KV)
        from kivy.factory import Factory

        root = Factory.AppRoot()
        self.screens = root.ids.screens
        # Screens are imported, their .kv read and built the first time they are opened: a cold start does
        # that for the first one only.
        self.root_layout = root
        Window.bind(on_keyboard=self._on_key)
        return root

    def screen(self, name: str) -> Any:
        """The screen called name, built on first use."""
        if not self.screens.has_screen(name):
            from mobile.screens import screen_class

            self.screens.add_widget(screen_class(name)(name=name))
        return self.screens.get_screen(name)

    def on_start(self) -> None:
        self.screen("signin")
        self.screens.current = "signin"
        self.tasks.run(self.backend.restore_session, on_done=self._restored, on_error=lambda e: None)
        Clock.schedule_interval(lambda _dt: self.refresh_status(), 5)

    def on_stop(self) -> None:
        self.tasks.shutdown()
        close = getattr(self.backend, "close", None)
        if close:
            close()

    # ---- language ---------------------------------------------------------------------------------------

    def tr(self, key: str, _lang: str | None = None, **values: Any) -> str:
        """Translated text. In kv pass app.lang as the second argument so the text follows a language switch."""
        return translate(self.lang, key, **values)

    def pick(self, text: Any) -> str:
        """The current language out of a server {zh, en} text."""
        return localized(text, self.lang)

    def set_language(self, lang: str) -> None:
        if lang in LANGUAGES and lang != self.lang:
            self.lang = lang
            self.tasks.run(self.backend.set_language, lang, on_error=lambda e: None)

    def on_lang(self, *_args: Any) -> None:
        if self._nav is not None:
            self._build_nav()
        screen = self.screens.current_screen if hasattr(self, "screens") else None
        if screen is not None and hasattr(screen, "language_changed"):
            screen.language_changed()

    # ---- session ----------------------------------------------------------------------------------------

    def _restored(self, user: dict | None) -> None:
        if user:
            self.signed_in(user)

    def signed_in(self, user: dict) -> None:
        self.user = user
        self.role = user.get("role", "officer")
        language = self.backend.preferred_language()
        if language in LANGUAGES:
            self.lang = language
        self._build_nav()
        self.reset_to(HOME.get(self.role, "week"))
        self.refresh_status()
        self.sync_now(quiet=True)

    def sign_out(self) -> None:
        def done(_result: Any) -> None:
            self.user = {}
            self.role = ""
            self._remove_nav()
            self._history.clear()
            self.syncing = False
            self.sync_message = ""
            self.screens.current = "signin"

        # The settings screen has asked before calling this when work is still unsent.
        self.tasks.run(self.backend.sign_out, discard_unsent=True, on_done=done, on_error=lambda e: done(None))

    # ---- navigation -------------------------------------------------------------------------------------

    def go(self, name: str, **params: Any) -> None:
        """Open a screen with its parameters; Back returns to where we were."""
        current = self.screens.current_screen
        self._history.append((current.name, dict(getattr(current, "params", {}))))
        self._show(name, params, direction="left")

    def back(self) -> bool:
        if not self._history:
            return False
        name, params = self._history.pop()
        self._show(name, params, direction="right")
        return True

    def back_to(self, name: str) -> None:
        """Go back past everything opened after the last `name` screen (e.g. from review to the site)."""
        while self._history and self._history[-1][0] != name:
            self._history.pop()
        if not self.back():
            self.reset_to(HOME.get(self.role, "week"))

    def reset_to(self, name: str, **params: Any) -> None:
        self._history.clear()
        self._show(name, params, direction="left")
        self._select_tab(name)

    def _show(self, name: str, params: dict, direction: str) -> None:
        self.locating(name in LOCATING_SCREENS)  # before the screen loads, so its first fix can arrive
        if name == "checklist":
            # The run is read from the phone's store on the io lane while the screen is being built, so the
            # first frame of the list already has its rows (issue 16: tap to drawn in < 300 ms).
            self.open_run(params.get("site_id", ""), params.get("category", ""))
        screen = self.screen(name)
        screen.params = params
        if hasattr(self.screens.transition, "direction"):
            self.screens.transition.direction = direction
        self.screens.current = name
        if name in {tab for tab, _icon, _key in TABS.get(self.role, ())}:
            self._add_nav()
            self._select_tab(name)
        else:
            self._remove_nav()

    def _on_key(self, _window: Any, key: int, *_args: Any) -> bool:
        if key == 27:  # Android back / Escape
            return self.back()
        return False

    def _build_nav(self) -> None:
        was_shown = self._nav is not None and self._nav.parent is not None
        self._remove_nav()
        # Imported on first use: a cold start shows the sign-in screen, which has no tabs.
        from kivymd.uix.navigationbar import (
            MDNavigationBar,
            MDNavigationItem,
            MDNavigationItemIcon,
            MDNavigationItemLabel,
        )

        nav = MDNavigationBar(on_switch_tabs=self._on_tab)
        for screen, icon, key in TABS.get(self.role, ()):
            item = MDNavigationItem(MDNavigationItemIcon(icon=icon), MDNavigationItemLabel(text=self.tr(key)))
            item.screen_name = screen
            nav.add_widget(item)
        self._nav = nav
        if was_shown:
            self._add_nav()
            self._select_tab(self.screens.current)

    def _add_nav(self) -> None:
        if self._nav is not None and self._nav.parent is None:
            self.root_layout.add_widget(self._nav)

    def _remove_nav(self) -> None:
        if self._nav is not None and self._nav.parent is not None:
            self._nav.parent.remove_widget(self._nav)

    def _select_tab(self, name: str) -> None:
        if self._nav is None:
            return
        for item in self._nav.children:
            item.active = getattr(item, "screen_name", None) == name

    def _on_tab(self, _bar: Any, item: Any, *_args: Any) -> None:
        name = getattr(item, "screen_name", None)
        if name and name != self.screens.current:
            self.reset_to(name)

    # ---- the checklist run ------------------------------------------------------------------------------

    def set_run(self, run: dict | None) -> None:
        self.current_run = run
        self.run_version += 1

    def open_run(self, site_id: str, category: str, on_error: Any = None) -> None:
        """Open (or resume) the run of a category at a site off the UI thread; current_run is set when it is
        ready. Asking again while it opens does nothing, so the screen and the app can both ask."""
        run = self.current_run
        if run and (run.get("site_id"), run.get("category")) == (site_id, category):
            return
        if self._opening_run == (site_id, category):
            return
        self._opening_run = (site_id, category)

        def opened(run: dict) -> None:
            self._opening_run = None
            self.set_run(run)

        def failed(error: BaseException) -> None:
            self._opening_run = None
            (on_error or (lambda e: self.toast(self.explain(e))))(error)

        fix = self.location.fix() if self.location else None
        self.tasks.run(self.backend.open_run, site_id, category, fix, on_done=opened, on_error=failed)

    def locating(self, on: bool) -> None:
        """GPS runs while a checklist or a form with photos is open, and only then (it costs battery)."""
        if self.location is not None:
            self.location.start() if on else self.location.stop()

    def permission_denied(self, permission: str, retry: Any) -> None:
        """Called from Android's threads when the officer refuses CAMERA or location: say why, offer to ask again."""
        from kivy.clock import Clock

        Clock.schedule_once(lambda _dt: self.show_permission_notice(permission, retry))

    def show_permission_notice(self, permission: str, retry: Any) -> Any:
        from mobile.widgets.permission import PermissionNotice

        key = "permission.camera" if permission.endswith("CAMERA") else "permission.location"
        notice = PermissionNotice(self.tr(key), self.tr("permission.retry"), self.tr("permission.close"), retry)
        notice.open()
        return notice

    def run_changed(self) -> None:
        self.run_version += 1

    # ---- messages ---------------------------------------------------------------------------------------

    def toast(self, text: str) -> None:
        from mobile.widgets.toast import Toast

        Toast(text).open()

    def explain(self, error: BaseException) -> str:
        """A sentence for a person, in the app's language: a rule the phone or the server applied (by its code
        and values, from the rulebook), else what to do."""
        if getattr(error, "retryable", False) or isinstance(error, (ConnectionError, TimeoutError, OSError)):
            return self.tr("error.offline")
        if isinstance(error, RuleViolation):
            return explain_violation(error, self.lang)
        said = explain_code(getattr(error, "code", None), getattr(error, "params", None), self.lang)
        return said or self.tr("error.unknown")

    # ---- sync -------------------------------------------------------------------------------------------

    def local_change(self) -> None:
        """Something was saved on the phone: show it everywhere (the phone's scheduler sends it)."""
        self.data_version += 1
        self.refresh_status()

    def refresh_status(self) -> None:
        if not self.user:
            return
        self.tasks.run(self.backend.sync_summary, on_done=self._apply_status, on_error=lambda e: None)

    def _apply_status(self, status: dict) -> None:
        self.pending_count = status.get("pending", 0)
        self.last_sync = status.get("last_sync") or ""
        self.attention = list(status.get("attention", []))

    def sync_now(self, quiet: bool = False) -> None:
        """Ask the phone's scheduler for a sync now: it pushes the outbox and pulls changes on the sync thread
        (after a sync already going on, never beside it); the UI keeps running meanwhile. Unless quiet, a
        toast says how it went."""
        if not self.user:
            return
        self.syncing = True
        self.sync_progress = 0.0
        self.sync_message = ""
        self.backend.request_sync(
            on_done=None if quiet else lambda status: Clock.schedule_once(lambda _dt: self._synced(status), 0)
        )

    def _sync_progressed(self, progress: Any) -> None:  # called on the sync thread, for every sync
        Clock.schedule_once(lambda _dt: self._show_sync(progress), 0)

    def _show_sync(self, progress: Any) -> None:
        if progress.phase != "done":
            self.syncing = True
            self.sync_progress = progress.done / progress.total if progress.total else 1.0
            return
        self.syncing = self.backend.sync_busy()
        self.sync_progress = 1.0
        failure = self.backend.sync_failure(progress.state, progress.error)
        self.sync_message = self.explain(failure) if failure else ""
        if failure is None:
            self.data_version += 1
        self.refresh_status()

    def _synced(self, status: dict) -> None:
        """The sync a person asked for has run: say how it went."""
        failure = self.backend.sync_failure(status.get("state"), status.get("last_error"))
        self.toast(self.explain(failure) if failure else self.tr("sync.done"))
