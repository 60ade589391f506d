"""Each shared rule has one home, the rulebook: a copy anywhere else in the server or the phone fails here.

A copy is how server and phone drifted before (the phone's hazard text, its EXIF rules, a fourth category
list); reading the source is the only way to see one, so this test reads it."""

from __future__ import annotations

import ast
from pathlib import Path

from rulebook.categories import CATEGORIES, PHOTO_KINDS, PROFILE_FLAGS, SEVERITIES
from rulebook.hazards import NOT_MET
from rulebook.lifecycle import ACTIONS, STATUSES

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for folder in ("server", "mobile") for p in (ROOT / folder).rglob("*.py"))
KEY_SETS = {
    "severities": set(SEVERITIES),
    "categories": set(CATEGORIES),
    "statuses": set(STATUSES),
    "actions": set(ACTIONS),
    "profile flags": set(PROFILE_FLAGS),
    "photo kinds": set(PHOTO_KINDS),
}


def _text(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _strings(node: ast.AST) -> list[str]:
    """The rule keys a literal restates: every entry of a list, tuple or set; the keys of a dict that names
    them (Chinese text as values); the keys of a table keyed by (state, action) pairs. A dict that maps them to
    how they look (icons, colours, columns) is presentation, not a copy."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [t for t in map(_text, node.elts) if t is not None]
    if isinstance(node, ast.Call):  # dict(has_gas=True, has_elevators=True, …)
        return [k.arg for k in node.keywords if k.arg]
    if isinstance(node, ast.Dict):
        keys = [t for t in map(_text, node.keys) if t is not None]
        pairs = [t for k in node.keys if isinstance(k, ast.Tuple) for t in map(_text, k.elts) if t is not None]
        if any(any("\u4e00" <= ch <= "\u9fff" for ch in (_text(v) or "")) for v in node.values):
            return keys
        return pairs
    return []


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
                if (
                    node.value.startswith(("cat.", "sev.", "status.", "role."))
                    and node.value.count(".") == 1
                    and node.value.split(".")[1]
                ):
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
    tree = ast.parse(
        'CATS = ("gas", "fire", "ebike")\nDONE = ("closed", "cancelled")\n'
        'NAMES = {"gas": "燃气", "fire": "消防", "ebike": "电动车"}\n'
        'ICONS = {"gas": "fire-alert", "fire": "fire", "ebike": "bike"}\n'
        'TABLE = {("open", "notify"): 1, ("open", "cancel"): 2, ("closed", "reopen"): 3}\n'
    )
    kinds = [
        node
        for node in ast.walk(tree)
        if len(set(_strings(node)) & set(CATEGORIES)) >= 3
        or {"closed", "cancelled"} <= set(_strings(node))
        or len(set(_strings(node)) & set(ACTIONS)) >= 3
    ]
    assert len(kinds) == 4  # the tuple, the finished statuses, the names, the table; the icons are presentation
    assert len(SOURCES) > 50  # the server's and the phone's sources were read
