"""The app's colour scheme, computed once when the app is built instead of at every launch.

KivyMD derives ~60 colours from the primary palette with materialyoucolor's HCT solver on every start
(about 50 ms here, several times that on a phone). The app always uses the same palette, so the result
is kept in `assets/theme_colors.json`, keyed by everything the computation depends on; a start whose
key is not in the file (another palette, a new KivyMD) computes as before. `tests/mobile/test_theme.py`
fails when the file differs from what the installed libraries compute, and

    .venv/bin/python -m mobile.theme

writes it again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEME_FILE = Path(__file__).parent / "assets" / "theme_colors.json"
# (palette, style) pairs the app can show: mobile/app.py sets Teal; a dark style is kept ready.
PACKAGED = (("Teal", "Light"), ("Teal", "Dark"))


def scheme_key(theme_cls: Any, palette: str | None = None, style: str | None = None) -> str:
    import kivymd

    return "|".join(
        str(part)
        for part in (
            kivymd.__version__,
            palette or theme_cls.primary_palette,
            style or theme_cls.theme_style,
            theme_cls.dynamic_scheme_name,
            float(theme_cls.dynamic_scheme_contrast),
        )
    )


def compute_colors(theme_cls: Any) -> dict[str, list[float]]:
    """The colours KivyMD computes for theme_cls's palette and style, as {name: rgba} (its own code path)."""
    from materialyoucolor.dynamiccolor.color_spec import COLOR_NAMES

    type(theme_cls)._set_application_scheme(theme_cls)
    return {name: [float(c) for c in getattr(theme_cls, f"{name}Color")] for name in COLOR_NAMES}


def use_packaged_scheme(theme_cls: Any, path: Path = SCHEME_FILE) -> None:
    """Make theme_cls take its colours from the packaged file when it has them (call before the app runs)."""
    try:
        table = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    computed = theme_cls._set_application_scheme

    def packaged_or_computed(*args: Any, **kwargs: Any) -> None:
        colors = None if theme_cls.dynamic_color else table.get(scheme_key(theme_cls))
        if colors is None:
            computed(*args, **kwargs)
            return
        for name, value in colors.items():
            setattr(theme_cls, f"{name}Color", value)
        theme_cls.disabledTextColor = theme_cls._get_disabled_hint_text_color()
        if theme_cls.on_colors:
            theme_cls.on_colors()

    theme_cls._set_application_scheme = packaged_or_computed


def packaged_table() -> dict[str, dict[str, list[float]]]:
    from kivymd.theming import ThemeManager

    table = {}
    for palette, style in PACKAGED:
        theme = ThemeManager()
        theme.primary_palette, theme.theme_style = palette, style
        table[scheme_key(theme)] = compute_colors(theme)
    return table


if __name__ == "__main__":
    SCHEME_FILE.write_text(json.dumps(packaged_table(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {SCHEME_FILE}")
