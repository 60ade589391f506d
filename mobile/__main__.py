"""python -m mobile — the SafeRound phone app on a desktop (phone-sized window) or a phone."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    if sys.platform not in ("android", "ios") and "ANDROID_ARGUMENT" not in os.environ:
        from kivy.config import Config

        Config.set("graphics", "width", os.environ.get("SAFEROUND_APP_WIDTH", "405"))
        Config.set("graphics", "height", os.environ.get("SAFEROUND_APP_HEIGHT", "810"))
        Config.set("input", "mouse", "mouse,multitouch_on_demand")
    from mobile.app import SafeRoundApp

    SafeRoundApp().run()


if __name__ == "__main__":
    main()
