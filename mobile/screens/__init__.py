"""The app's screens, each a .py (behaviour) beside a .kv (layout)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

HERE = Path(__file__).parent
_loaded = False


def load_kv() -> None:
    global _loaded
    if _loaded:
        return
    Builder.load_file(str(HERE / "base.kv"))
    for kv in sorted(HERE.glob("*.kv")):
        if kv.name != "base.kv":
            Builder.load_file(str(kv))
    _loaded = True


def _screens() -> dict:
    from mobile.screens.checklist import ChecklistItemScreen, ChecklistScreen, ReviewScreen
    from mobile.screens.hazards import HazardActionScreen, HazardScreen, HazardsScreen
    from mobile.screens.notices import NoticeScreen, NoticesScreen
    from mobile.screens.settings import SettingsScreen
    from mobile.screens.signin import SignInScreen
    from mobile.screens.site import SiteScreen
    from mobile.screens.training import TrainingScreen
    from mobile.screens.week import WeekScreen

    return {
        "signin": SignInScreen,
        "week": WeekScreen,
        "site": SiteScreen,
        "checklist": ChecklistScreen,
        "item": ChecklistItemScreen,
        "review": ReviewScreen,
        "hazards": HazardsScreen,
        "hazard": HazardScreen,
        "action": HazardActionScreen,
        "notices": NoticesScreen,
        "notice": NoticeScreen,
        "training": TrainingScreen,
        "settings": SettingsScreen,
    }


class _Lazy(dict):
    def items(self):  # type: ignore[override]
        return _screens().items()


SCREENS = _Lazy()
