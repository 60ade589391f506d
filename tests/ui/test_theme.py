"""The colour scheme the app ships (mobile/assets/theme_colors.json) is exactly what KivyMD computes.

The app takes its colours from the file instead of solving them at every launch (issue 16: a fast
start); these tests fail when the file is stale (a new KivyMD or materialyoucolor, another palette), and
show that a palette the file does not have is still computed.
"""

from __future__ import annotations

import json

import pytest

from tests.ui import driver  # noqa: F401  (Kivy's environment before kivy is imported)  # isort: skip
from kivymd.theming import ThemeManager  # isort: skip
from materialyoucolor.dynamiccolor.color_spec import COLOR_NAMES  # isort: skip

from mobile.theme import PACKAGED, SCHEME_FILE, compute_colors, packaged_table, use_packaged_scheme  # isort: skip

pytestmark = pytest.mark.ui


def colours(theme: ThemeManager) -> dict[str, list[float]]:
    return {name: [float(c) for c in getattr(theme, f"{name}Color")] for name in COLOR_NAMES} | {
        "disabledText": [float(c) for c in theme.disabledTextColor]
    }


def computed(palette: str, style: str) -> dict[str, list[float]]:
    theme = ThemeManager()
    theme.primary_palette, theme.theme_style = palette, style
    theme.set_colors()
    return colours(theme)


def test_the_packaged_file_is_what_the_installed_kivymd_computes():
    on_disk = json.loads(SCHEME_FILE.read_text())
    assert on_disk == packaged_table(), "stale colours: run `.venv/bin/python -m mobile.theme` and commit the file"
    assert len(on_disk) == len(PACKAGED)
    assert all(len(table) == len(COLOR_NAMES) for table in on_disk.values())


@pytest.mark.parametrize("style", ["Light", "Dark"])
def test_a_packaged_palette_is_shown_without_solving_it(style, monkeypatch):
    solved = []
    solve = ThemeManager._set_application_scheme
    monkeypatch.setattr(ThemeManager, "_set_application_scheme", lambda self, *a: solved.append(1) or solve(self, *a))
    theme = ThemeManager()
    use_packaged_scheme(theme)
    theme.primary_palette, theme.theme_style = "Teal", style
    theme.set_colors()
    assert solved == []
    monkeypatch.undo()
    assert colours(theme) == computed("Teal", style)
    assert colours(theme) != computed("Teal", "Dark" if style == "Light" else "Light")


def test_a_palette_the_file_does_not_have_is_computed():
    theme = ThemeManager()
    use_packaged_scheme(theme)
    theme.primary_palette, theme.theme_style = "Red", "Light"
    theme.set_colors()
    assert colours(theme) == computed("Red", "Light")
    assert colours(theme)["primary"] != computed("Teal", "Light")["primary"]


def test_compute_colors_reads_kivymds_own_result():
    theme = ThemeManager()
    theme.primary_palette = "Teal"
    assert compute_colors(theme) == {k: v for k, v in computed("Teal", "Light").items() if k != "disabledText"}
