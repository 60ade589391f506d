"""The app's screens, each a .py (behaviour) beside a .kv (layout)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

HERE = Path(__file__).parent
_loaded = False


def load_kv() -> None:
    """What every screen shares (base.kv); each screen's own .kv is read when the screen is first built."""
    global _loaded
    if _loaded:
        return
    Builder.load_file(str(HERE / "base.kv"))
    _loaded = True


# name -> (module and .kv beside it, class): a cold start imports and reads only the first screen's.
SCREEN_CLASSES = {
    "signin": ("signin", "SignInScreen"),
    "week": ("week", "WeekScreen"),
    "site": ("site", "SiteScreen"),
    "checklist": ("checklist", "ChecklistScreen"),
    "item": ("checklist", "ChecklistItemScreen"),
    "review": ("checklist", "ReviewScreen"),
    "joint": ("joint", "JointScreen"),
    "hazards": ("hazards", "HazardsScreen"),
    "hazard": ("hazards", "HazardScreen"),
    "action": ("hazards", "HazardActionScreen"),
    "notices": ("notices", "NoticesScreen"),
    "notice": ("notices", "NoticeScreen"),
    "training": ("training", "TrainingScreen"),
    "settings": ("settings", "SettingsScreen"),
    "reports": ("intake", "ReportsScreen"),
    "report": ("intake", "ReportScreen"),
    "intake": ("intake", "IntakeScreen"),
    "intake_report": ("intake", "IntakeReportScreen"),
}
_modules_loaded: set[str] = set()


def screen_class(name: str) -> type:
    """The class of screen `name`, importing its module and reading its .kv the first time."""
    import importlib

    module, cls = SCREEN_CLASSES[name]
    load_kv()
    if module not in _modules_loaded:
        Builder.load_file(str(HERE / f"{module}.kv"))
        _modules_loaded.add(module)
    return getattr(importlib.import_module(f"mobile.screens.{module}"), cls)
