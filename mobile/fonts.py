"""One CJK font for every label: Kivy's default, KivyMD's theme styles and anything that names Roboto."""

from __future__ import annotations

import os
from pathlib import Path

# First hit wins. Kivy reads only the first face of a .ttc, which for these is the Simplified Chinese one.
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/system/fonts/NotoSansCJK-Regular.ttc",  # Android
    "/system/fonts/DroidSansFallback.ttf",  # older Android
    "/System/Library/Fonts/PingFang.ttc",  # macOS
    "C:/Windows/Fonts/msyh.ttc",
)
CJK_FONT_NAME = "SafeRoundCJK"
# KivyMD's own names for its text faces; aliasing them makes every theme font style render Chinese.
_ALIASED_NAMES = ("Roboto", "RobotoThin", "RobotoLight", "RobotoMedium", "RobotoBlack")


def find_cjk_font() -> str | None:
    """The CJK font file to use: $SAFEROUND_CJK_FONT, a font bundled in mobile/assets/, or a system font."""
    given = os.environ.get("SAFEROUND_CJK_FONT")
    bundled = sorted((Path(__file__).parent / "assets").glob("*.tt[fc]"))
    for candidate in ([given] if given else []) + [str(p) for p in bundled] + list(CJK_FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def install_cjk_font(theme_cls=None) -> str | None:  # type: ignore[no-untyped-def]
    """Register the CJK font under KivyMD's Roboto names and in the theme's font styles.

    Must run after ``kivymd.font_definitions`` is imported (it registers the Latin-only Roboto) and
    before the first label is drawn. Returns the font file, or None if no CJK font was found.
    """
    import kivymd.font_definitions  # noqa: F401  (registers Roboto first, so our aliases win)
    from kivy.core.text import LabelBase

    path = find_cjk_font()
    if path is None:
        return None
    LabelBase.register(name=CJK_FONT_NAME, fn_regular=path)
    for name in _ALIASED_NAMES:
        LabelBase.register(name=name, fn_regular=path)
    if theme_cls is not None:
        for style, roles in theme_cls.font_styles.items():
            if style == "Icon":
                continue
            for role in roles.values():
                role["font-name"] = CJK_FONT_NAME
    return path
