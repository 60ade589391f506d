"""Reusable pieces: buttons, sync indicator, severity marks, photo strip, answer buttons, list rows."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

HERE = Path(__file__).parent
_loaded = False


def load_kv() -> None:
    """Import the widget classes and load their .kv once (after the CJK font is installed)."""
    global _loaded
    if _loaded:
        return
    from mobile.widgets import answer, buttons, fields, photos, rows, signature, sync_bar  # noqa: F401  (register classes)

    for kv in sorted(HERE.glob("*.kv")):
        Builder.load_file(str(kv))
    _loaded = True
