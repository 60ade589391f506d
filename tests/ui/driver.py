"""Drive the Kivy app headless: pump frames, wait for background work, tap widgets, take screenshots.

Import this module before anything imports kivy: it sets the environment Kivy reads at import time.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))
os.environ.setdefault("KIVY_WINDOW", "sdl2")
os.environ.setdefault("KIVY_CLIPBOARD", "dummy")
# A phone: 540 × 1080 px at density 1.35 is 400 × 800 dp (software GL draws every pixel, so not more).
os.environ.setdefault("KIVY_METRICS_DENSITY", "1.35")
os.environ.setdefault("KIVY_DPI", "216")

from kivy.config import Config  # noqa: E402

Config.set("graphics", "width", "540")
Config.set("graphics", "height", "1080")
Config.set("graphics", "resizable", "0")
Config.set("kivy", "exit_on_escape", "0")
Config.set("kivy", "log_level", "warning")

import logging  # noqa: E402

for noisy in ("httpx", "httpcore", "PIL", "urllib3"):
    logging.getLogger(noisy).setLevel(logging.WARNING)

from kivy.base import EventLoop  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.uix.widget import Widget  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


def pump(seconds: float = 0.0, frames: int = 2) -> None:
    """Run the UI loop for at least `frames` frames and `seconds` of wall time."""
    end = time.monotonic() + seconds
    done = 0
    while done < frames or time.monotonic() < end:
        EventLoop.idle()
        done += 1
        time.sleep(0.005)


def wait_until(condition: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
    """Pump frames until condition() is truthy; fail with `what` after `timeout` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        EventLoop.idle()
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")


def walk(root: Widget) -> Iterator[Widget]:
    yield root
    for child in list(root.children):
        yield from walk(child)


def find(root: Widget, kind: str | None = None, text: str | None = None, **attrs: Any) -> Widget:
    """The first visible widget under root of class `kind` whose text is `text` (and attrs match)."""
    found = find_all(root, kind, text, **attrs)
    if not found:
        raise AssertionError(f"no {kind or 'widget'} with text={text!r} {attrs} on screen")
    return found[0]


def find_all(root: Widget, kind: str | None = None, text: str | None = None, **attrs: Any) -> list[Widget]:
    out = []
    for widget in walk(root):
        if kind and type(widget).__name__ != kind:
            continue
        if text is not None and getattr(widget, "text", None) != text:
            continue
        if any(getattr(widget, k, object()) != v for k, v in attrs.items()):
            continue
        out.append(widget)
    return out


def button_with_text(root: Widget, text: str) -> Widget:
    """The button (MDButton, WideButton, ...) that holds a label with this text."""
    for widget in walk(root):
        if getattr(widget, "text", None) == text:
            parent = widget
            while parent is not None and not hasattr(parent, "trigger_action"):
                parent = parent.parent
            if parent is not None:
                return parent
            if hasattr(widget, "dispatch") and "on_release" in widget.events():
                return widget
    raise AssertionError(f"no button labelled {text!r} on screen")


def tap(widget: Widget) -> None:
    """Press and release like a finger would (on_press then on_release), then let the UI react."""
    if hasattr(widget, "trigger_action"):
        widget.trigger_action(duration=0)
    else:
        widget.dispatch("on_release")
    pump(frames=3)


def screenshot(name: str) -> Path:
    """Save what the window shows as test-artifacts/screenshots/<name>.png."""
    from kivy.core.window import Window

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pump(0.25, frames=3)  # KivyMD sizes buttons 0.2 s after creation
    saved = Window.screenshot(name=str(SCREENSHOTS / f"{name}.png"))
    target = SCREENSHOTS / f"{name}.png"
    if saved and Path(saved) != target:
        Path(saved).replace(target)
    return target


def clock_ticks() -> int:
    return Clock.frames


# ---- the phone under test ---------------------------------------------------------------------------------

# Where server/demo.py puts 富民社区: the phones in these stories stand there, their fix good to 8 m.
SITE_LAT, SITE_LON = 41.7452, 123.4489


def striped_photo(path: Path, size: tuple[int, int], ground: tuple, stripe: tuple, *, across: bool) -> Path:
    """A camera-sized JPEG with a recognisable picture (stripes), as the camera would hand it over."""
    from PIL import Image

    width, height = size
    image = Image.new("RGB", size, ground)
    for at in range(0, height if across else width, 150 if across else 200):
        image.paste(stripe, (0, at, width, at + 60) if across else (at, 0, at + 100, height))
    image.save(path, "JPEG", quality=90)
    return path


def open_app(data_dir: Path, server_url: str, photo: Path) -> Any:
    """The SafeRound app on a phone at the site, its camera handing over `photo`, drawn once, no slides
    (software GL draws each slide's frames, and the stories do not need them). Stop it with app.stop()."""
    from kivy.uix.screenmanager import NoTransition

    from mobile.app import SafeRoundApp
    from mobile.platform import FixedFileCamera, NoLocation

    class AtTheSite(NoLocation):
        def fix(self) -> dict[str, float]:
            return {"lat": SITE_LAT, "lon": SITE_LON, "accuracy": 8.0}

    app = SafeRoundApp(
        data_dir=data_dir, server_url=server_url, camera=FixedFileCamera(photo), location=AtTheSite(), auto_sync=False
    )
    app._run_prepare()
    app.screens.transition = NoTransition()
    pump(0.3)
    return app
