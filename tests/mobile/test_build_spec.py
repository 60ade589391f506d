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


# --- pinned requirements ---------------------------------------------------------------------------------------
# p4a recipes with no desktop counterpart: pinned to the version of the p4a commit the spec names.
P4A_ONLY = {"python3": "3.14.2", "sqlite3": "3.50.4", "pyjnius": "1.7.0"}
# What the phone's Python (p4a's python3, 3.14) evaluates requirement markers with.
PHONE_MARKERS = {
    "python_version": "3.14",
    "python_full_version": "3.14.2",
    "sys_platform": "android",
    "platform_system": "Android",
    "os_name": "posix",
    "platform_python_implementation": "CPython",
    "implementation_name": "cpython",
    "extra": "",
}
# Kivy's own dependencies are p4a's kivy recipe's business (python_depends); on a desktop it also wants docutils,
# pygments, requests and kivy-garden, which the phone never imports (the start probe below would catch one).
# httpx imports click/rich/pygments at start only when they are installed (its optional CLI).
NOT_FOR_THE_PHONE = {"kivy-garden", "docutils", "pygments", "requests", "click", "rich", "setuptools", "saferound"}


def _canonical(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def _spec_requirements() -> dict[str, str | None]:
    spec = configparser.ConfigParser()
    spec.read(ROOT / "buildozer.spec", encoding="utf-8")
    pins: dict[str, str | None] = {}
    for entry in spec["app"]["requirements"].split(","):
        name, _, version = entry.strip().partition("==")
        pins[_canonical(name)] = version or None
    return pins


def _dependency_closure(roots: list[str]) -> set[str]:
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = [_canonical(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name == "kivy":
            continue
        for text in requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate(PHONE_MARKERS):
                todo.append(_canonical(requirement.name))
    return seen


def _distributions_imported_at_start() -> set[str]:
    import subprocess
    import sys

    probe = (
        "import os, sys, importlib, pkgutil\n"
        "os.environ['KIVY_NO_ARGS'] = '1'\n"
        "import mobile, mobile.app\n"
        "for m in pkgutil.walk_packages(mobile.__path__, 'mobile.'):\n"
        "    importlib.import_module(m.name)\n"
        "from importlib.metadata import packages_distributions\n"
        "found = packages_distributions()\n"
        "print('\\n'.join(sorted({d for m in list(sys.modules) for d in found.get(m.split('.')[0], [])})))\n"
    )
    env = {**__import__("os").environ, "KIVY_NO_CONSOLELOG": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300, check=True
    )
    return {_canonical(line) for line in out.stdout.split()}


def test_every_requirement_is_pinned_to_what_the_desktop_runs():
    from importlib.metadata import PackageNotFoundError, version

    for name, pinned in _spec_requirements().items():
        assert pinned, f"buildozer.spec: {name} has no version (p4a would build whatever its recipe or pip picks)"
        if name in P4A_ONLY:
            assert pinned == P4A_ONLY[name], f"{name}: {pinned} is not the p4a recipe's {P4A_ONLY[name]}"
            continue
        try:
            installed = version(name)
        except PackageNotFoundError:
            raise AssertionError(f"{name} is in buildozer.spec but not in the desktop venv") from None
        assert pinned == installed, f"{name}: buildozer.spec pins {pinned}, the desktop venv runs {installed}"


def test_everything_kivymd_httpx_and_plyer_need_on_the_phone_is_listed():
    listed = set(_spec_requirements())
    needed = _dependency_closure(["kivymd", "httpx", "plyer"]) - NOT_FOR_THE_PHONE
    assert needed - listed == set(), "p4a installs with --no-deps: list these in buildozer.spec"
    # KivyMD 2.0.0 imports materialyoucolor.dynamiccolor.color_spec, which p4a's own recipe (2.0.x) lacks.
    assert listed >= {"materialyoucolor", "asynckivy", "asyncgui", "materialshapes", "pycairo"}


def test_every_package_the_app_imports_at_start_is_listed():
    listed = set(_spec_requirements())
    imported = _distributions_imported_at_start() - NOT_FOR_THE_PHONE
    assert imported - listed == set(), "the app imports these at start; buildozer.spec must list them"


def test_the_overridden_recipes_are_named_as_p4a_spells_their_folders():
    # p4a reads VERSION_<folder name>: `pillow==13.0.0` would silently build the recipe's own 11.3.0.
    spec = configparser.ConfigParser()
    spec.read(ROOT / "buildozer.spec", encoding="utf-8")
    entries = [e.strip() for e in spec["app"]["requirements"].split(",")]
    assert "Pillow==13.0.0" in entries or not any(e.lower().startswith("pillow==") for e in entries)
    assert spec["app"]["p4a.commit"].strip()


def test_the_p4a_hook_declares_the_file_provider_inside_application_and_the_cleartext_host(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("p4a_hook", ROOT / "apk" / "p4a_hook.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    manifest = '<manifest><application android:label="x" >\n<activity />\n</application></manifest>'
    patched = hook.patch_manifest(manifest, cleartext_host="192.168.1.20")
    inside = patched.split("<application", 1)[1].split("</application>")[0]
    assert 'android:authorities="${applicationId}.fileprovider"' in inside
    assert 'android:resource="@xml/file_paths"' in inside and 'android:exported="false"' in inside
    assert 'android:networkSecurityConfig="@xml/network_security_config"' in patched
    assert hook.patch_manifest(patched, cleartext_host="192.168.1.20") == patched  # twice is once
    hook.write_resources(tmp_path, cleartext_host="192.168.1.20")
    config = (tmp_path / "xml" / "network_security_config.xml").read_text()
    assert '<domain includeSubdomains="false">192.168.1.20</domain>' in config
    assert 'base-config cleartextTrafficPermitted="false"' in config
    assert 'cache-path name="camera" path="saferound-camera/"' in (tmp_path / "xml" / "file_paths.xml").read_text()


def test_the_icon_and_presplash_the_spec_names_exist():
    from PIL import Image

    spec = configparser.ConfigParser()
    spec.read(ROOT / "buildozer.spec", encoding="utf-8")
    for option, smallest in (("icon.filename", 512), ("presplash.filename", 512)):
        path = ROOT / spec["app"][option].replace("%(source.dir)s/", "")
        with Image.open(path) as image:
            assert image.format == "PNG" and min(image.size) >= smallest, option
    assert "apk" in spec["app"]["source.exclude_dirs"]  # the build hook is not shipped as a package
