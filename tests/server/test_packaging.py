"""The checklists travel with the package, and a server without them refuses to start, naming the folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.checklists.templates import CATEGORIES, ChecklistFileError
from server.main import create_app

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent / "saferound"
NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    "var",
    "build",
    "dist",
    "test-artifacts",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    "bench",
    "tests",
)

LOAD_LIKE_THE_SERVER = textwrap.dedent("""
    import server
    from server.checklists.service import ChecklistRegistry
    from server.config import Settings

    registry = ChecklistRegistry.from_directory(Settings().checklists_dir)
    print(server.__file__)
    print(" ".join(sorted(registry.current)))
""")


def test_a_wheel_install_serves_all_seven_checklists_from_any_directory(tmp_path):
    source = tmp_path / "source"  # a clean copy: setuptools' build/ folder must not leak old files in
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("saferound-*.whl")
    with zipfile.ZipFile(wheel) as built_wheel:  # the residents' public pages ship their templates
        assert "server/public/templates/public_report.html" in built_wheel.namelist()

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAFEROUND_", "PYTHON"))}
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert installed.returncode == 0, installed.stderr
    # The dependencies come from this environment; a plain path entry does not run its .pth files,
    # so the editable install of the working tree stays out of sight.
    site_packages = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], env=env, text=True
        ).strip()
    )
    (site_packages / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = subprocess.run(
        [str(python), "-c", LOAD_LIKE_THE_SERVER], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    package_file, categories = run.stdout.splitlines()
    assert Path(package_file).is_relative_to(site_packages)
    assert categories.split() == sorted(CATEGORIES)

    # the operator's first command works from the wheel too (migrations ship as well)
    init = subprocess.run(
        [str(venv / "bin" / "saferound"), "init-db"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "SAFEROUND_DATA_DIR": str(tmp_path / "var")},
    )
    assert init.returncode == 0, init.stderr
    assert "Database is at the newest schema" in init.stdout


def _no_checklists(tmp_path: Path, kind: str) -> Path:
    folder = tmp_path / "checklists"
    if kind == "empty":
        folder.mkdir()
        (folder / "README.txt").write_text("the yaml files were not copied")
    return folder


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_the_app_refuses_to_start_without_checklists(settings, tmp_path, kind):
    folder = _no_checklists(tmp_path, kind)
    app = create_app(settings.model_copy(update={"checklists_dir": folder}))
    with pytest.raises(ChecklistFileError) as refused, TestClient(app):
        pass
    said = "does not exist" if kind == "missing" else "holds no .yaml files"
    assert f"The checklist folder {folder} {said}" in str(refused.value)


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_serve_and_seed_demo_refuse_without_checklists_and_say_where(tmp_path, kind):
    folder = _no_checklists(tmp_path, kind)
    env = {**os.environ, "SAFEROUND_DATA_DIR": str(tmp_path / "var"), "SAFEROUND_CHECKLISTS_DIR": str(folder)}
    env.pop("SAFEROUND_DATABASE_URL", None)
    serve = subprocess.run([str(BIN), "serve", "--port", "9"], env=env, capture_output=True, text=True, timeout=60)
    assert serve.returncode == 2
    assert serve.stderr.startswith(f"Not started: The checklist folder {folder} ")
    assert "SAFEROUND_CHECKLISTS_DIR" in serve.stderr

    seeded = subprocess.run([str(BIN), "seed-demo"], env=env, capture_output=True, text=True, timeout=60)
    assert seeded.returncode == 2
    assert seeded.stderr.startswith(f"Demo data not loaded: The checklist folder {folder} ")
    assert not (tmp_path / "var" / "saferound.db").exists()  # stopped before touching a database
