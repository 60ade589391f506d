"""Phone app start-up: cold start to the first frame, and the time to show a 40-item checklist.

Each measurement runs in a fresh Python process (cold imports, a new window), five times, the three
kinds taking turns so that the machine's noise falls on them alike; the median is printed beside an
empty KivyMD app measured the same way in the same run, and the ratios are what this benchmark is
judged by.

    .venv/bin/python bench/app_start.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNS = 5
ITEMS = 40


def child_env() -> dict[str, str]:
    return {
        **os.environ,
        "KIVY_NO_ARGS": "1",
        "KIVY_NO_FILELOG": "1",
        "KIVY_NO_CONSOLELOG": "1",
        "KIVY_HOME": tempfile.mkdtemp(prefix="kivy-bench-"),
        "KIVY_WINDOW": "sdl2",
        "KIVY_METRICS_DENSITY": "1.35",
        "PYTHONPATH": str(REPO),
    }


# ---- what runs in the child -------------------------------------------------------------------------


def _window() -> None:
    from kivy.config import Config

    Config.set("graphics", "width", "540")
    Config.set("graphics", "height", "1080")


def _first_frame(app) -> None:  # type: ignore[no-untyped-def]
    from kivy.base import EventLoop
    from kivy.graphics.opengl import glFinish

    app._run_prepare()
    EventLoop.idle()
    glFinish()


def child_empty() -> dict[str, float]:
    _window()
    from kivymd.app import MDApp
    from kivymd.uix.label import MDLabel
    from kivymd.uix.screen import MDScreen

    class Empty(MDApp):
        def build(self):  # type: ignore[no-untyped-def]
            return MDScreen(MDLabel(text="Hello", halign="center"))

    _first_frame(Empty())
    return {"first_frame": time.time()}


def _seed_phone(data_dir: Path) -> tuple[str, str]:
    """A phone that has a site and a 40-item checklist cached, as after a first sync."""
    from mobile.services.store import Store

    store = Store(data_dir)
    site = {
        "id": "00000000-0000-4000-8000-000000000001",
        "name": "富民社区",
        "kind": "community",
        "street": "五三街道",
        "address": "浑南区富民街18号",
        "property_org_id": None,
        "profile": {"has_gas": True},
    }
    store.replace_sites([site])
    items = [
        {
            "id": f"gas.item_{i:02d}",
            "prompt": {
                "zh": f"第{i}项：燃气连接软管完好，无老化、龟裂、鼓包、变硬，两端用专用卡箍紧固",
                "en": f"Item {i}: the gas hose is sound, with no ageing, cracks or bulges, clamped at both ends",
            },
            "guidance": {"zh": "目测并弯折检查。", "en": "Look and bend it."},
            "remedy": {"zh": "更换软管。", "en": "Replace the hose."},
            "basis": {"zh": "GB 55009", "en": "GB 55009"},
            "severity_on_fail": ("red", "yellow", "blue")[i % 3],
            "photo_required_on_fail": i % 2 == 0,
            "applies_if": {},
        }
        for i in range(1, ITEMS + 1)
    ]
    store.save_checklist(
        {"category": "gas", "version": 1, "title": {"zh": "燃气安全", "en": "Gas safety"}, "items": items}, current=True
    )
    store.close()
    return site["id"], "gas"


def child_app(checklist: bool) -> dict[str, float]:
    _window()
    data_dir = Path(tempfile.mkdtemp(prefix="saferound-bench-phone-"))
    site_id, category = _seed_phone(data_dir) if checklist else ("", "")
    from kivy.base import EventLoop
    from kivy.graphics.opengl import glFinish
    from kivy.uix.screenmanager import NoTransition

    from mobile.app import SafeRoundApp

    app = SafeRoundApp(data_dir=data_dir, server_url="http://127.0.0.1:9", auto_sync=False)
    _first_frame(app)
    result = {"first_frame": time.time()}
    if checklist:
        app.screens.transition = NoTransition()
        started = time.perf_counter()
        app.go("checklist", site_id=site_id, category=category)
        screen = app.screens.get_screen("checklist")
        while not (app.current_run and len(screen.ids.rv.data) == ITEMS and screen.ids.rv.layout_manager.children):
            EventLoop.idle()
        EventLoop.idle()
        glFinish()
        result["checklist_seconds"] = time.perf_counter() - started
        result["rows_drawn"] = len(screen.ids.rv.layout_manager.children)
    app.stop()
    return result


# ---- the parent -------------------------------------------------------------------------------------------


def measure(mode: str) -> dict[str, float]:
    started = time.time()
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode],
        env=child_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{mode} run failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    result = json.loads(lines[-1][7:])
    result["cold_start_seconds"] = result.pop("first_frame") - started
    return result


def main() -> None:
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in ("empty", "app", "checklist")}
    for _ in range(RUNS):
        for mode, results in runs.items():
            results.append(measure(mode))
    empty = statistics.median(r["cold_start_seconds"] for r in runs["empty"])
    app = statistics.median(r["cold_start_seconds"] for r in runs["app"])
    checklist = statistics.median(r["checklist_seconds"] for r in runs["checklist"])
    rows = runs["checklist"][0]["rows_drawn"]
    print(f"median of {RUNS} fresh processes each, {ITEMS}-item checklist, 540x1080 window, software GL")
    print(f"  empty KivyMD app, cold start to first frame: {empty * 1000:7.0f} ms")
    print(f"  SafeRound app, cold start to first frame:    {app * 1000:7.0f} ms   ratio to empty app {app / empty:.2f}")
    print(
        f"  show a {ITEMS}-item checklist (tap to drawn): {checklist * 1000:7.0f} ms   "
        f"ratio to empty app start {checklist / empty:.2f}   ({rows} rows built by the RecycleView)"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        mode = sys.argv[2]
        result = child_empty() if mode == "empty" else child_app(checklist=mode == "checklist")
        print("RESULT " + json.dumps(result), flush=True)
    else:
        main()
