"""The Android build ships what the phone imports: the app and the rulebook, not the server."""

from __future__ import annotations

import ast
import configparser
import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _first_party_imports() -> set[str]:
    names = set()
    for path in [ROOT / "main.py", *(ROOT / "mobile").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
    return {name for name in names if (ROOT / name / "__init__.py").exists()}


def test_the_apk_ships_every_package_of_ours_the_phone_imports_and_not_the_server():
    spec = configparser.ConfigParser()
    spec.read(ROOT / "buildozer.spec", encoding="utf-8")
    include = [p.strip() for p in spec["app"]["source.include_patterns"].split(",")]
    exclude_dirs = {d.strip() for d in spec["app"]["source.exclude_dirs"].split(",")}
    imported = _first_party_imports()
    assert imported == {"mobile", "rulebook"}  # the phone never imports the server
    for package in imported:
        module = f"{package}/__init__.py"
        assert any(fnmatch.fnmatch(module, pattern) for pattern in include), f"{package} is not shipped"
        assert package not in exclude_dirs
    assert "server" in exclude_dirs
