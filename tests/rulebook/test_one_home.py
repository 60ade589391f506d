"""Each shared rule has one home, the rulebook: a copy anywhere else in the server or the phone fails here.

A copy is how server and phone drifted before (the phone's hazard text, its EXIF rules, a fourth category
list); reading the source is the only way to see one, so this test reads it."""

from __future__ import annotations

import ast
from pathlib import Path

from rulebook.categories import CATEGORIES, PHOTO_KINDS, PROFILE_FLAGS
from rulebook.hazards import NOT_MET
from rulebook.lifecycle import ACTIONS, STATUSES

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for folder in ("server", "mobile") for p in (ROOT / folder).rglob("*.py"))
KEY_SETS = {"categories": set(CATEGORIES), "statuses": set(STATUSES), "actions": set(ACTIONS),
            "profile flags": set(PROFILE_FLAGS), "photo kinds": set(PHOTO_KINDS)}


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        items = node.elts
    elif isinstance(node, ast.Dict):
        items = [k for k in node.keys if k is not None]
    else:
        return []
    return [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]


def _copies() -> list[str]:
    found = []
    for path in SOURCES:
        where = path.relative_to(ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            strings = set(_strings(node))
            for name, keys in KEY_SETS.items():
                if len(strings & keys) >= 3:
                    found.append(f"{where}:{node.lineno}: a list of {name}")
            if {"closed", "cancelled"} <= strings and len(strings) <= 3:
                found.append(f"{where}:{node.lineno}: the finished statuses")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if any(text.strip(" ：:") in node.value for text in NOT_MET.values()):
                    found.append(f"{where}:{node.lineno}: the failed-item headline")
                if node.value.startswith(("cat.", "sev.", "status.", "role.")) and node.value.count(".") == 1 \
                        and node.value.split(".")[1]:
                    found.append(f"{where}:{node.lineno}: a translated name of {node.value}")
            if isinstance(node, ast.Attribute) and node.attr == "isocalendar":
                found.append(f"{where}:{node.lineno}: an ISO week computed by hand")
            if isinstance(node, ast.Constant) and node.value in (0x9003, 0x8825):
                found.append(f"{where}:{node.lineno}: EXIF read by hand")
    return found


def test_rules_shared_by_server_and_phone_live_only_in_the_rulebook():
    assert _copies() == []


def test_the_detector_sees_a_copy(tmp_path):
    """The check above could pass by seeing nothing; show it sees a copy of each kind."""
    tree = ast.parse('CATS = ("gas", "fire", "ebike")\nDONE = ("closed", "cancelled")\n')
    kinds = [node for node in ast.walk(tree) if len(set(_strings(node)) & set(CATEGORIES)) >= 3
             or {"closed", "cancelled"} <= set(_strings(node))]
    assert len(kinds) == 2
    assert len(SOURCES) > 50  # the server's and the phone's sources were read
