"""The character check every text field passes (server/inputs.py) refuses exactly Unicode's control
characters and surrogates, less tab, newline and carriage return — checked for every code point."""

from __future__ import annotations

import sys
import unicodedata

from server.inputs import ALLOWED_CONTROLS, bad_character


def test_every_code_point_is_judged_as_its_unicode_category_says():
    wrong = [
        f"U+{cp:04X}"
        for cp in range(sys.maxunicode + 1)
        if (bad_character(chr(cp)) is not None)
        != (chr(cp) not in ALLOWED_CONTROLS and unicodedata.category(chr(cp)) in ("Cc", "Cs"))
    ]
    assert wrong == []


def test_the_first_bad_character_is_named_in_a_longer_text():
    assert bad_character("燃气阀门\t锈蚀\r\n") is None
    assert bad_character("燃气\x00阀门\x1b") == "\x00"
    assert bad_character("名称\u0085") == "\u0085"
    assert bad_character("ok\ud800") == "\ud800"
