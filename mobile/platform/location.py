"""Where the phone is, for inspections and photos. Best effort: no fix is a normal answer."""

from __future__ import annotations

import os
import sys
from typing import Protocol


def is_android() -> bool:
    return "ANDROID_ARGUMENT" in os.environ or hasattr(sys, "getandroidapilevel")


class Location(Protocol):
    def start(self) -> None: ...
    def fix(self) -> dict[str, float] | None: ...  # {lat, lon, accuracy?}
    def last_fix(self) -> tuple[float, float] | None: ...
    def stop(self) -> None: ...


class NoLocation:
    """Desktop: no GPS, unless SAFEROUND_FAKE_LOCATION='lat,lon' is set for a demo."""

    def start(self) -> None:
        pass

    def fix(self) -> dict[str, float] | None:
        given = os.environ.get("SAFEROUND_FAKE_LOCATION")
        if not given:
            return None
        lat, lon, *accuracy = (float(x) for x in given.split(","))
        return {"lat": lat, "lon": lon, **({"accuracy": accuracy[0]} if accuracy else {})}

    def last_fix(self) -> tuple[float, float] | None:
        fix = self.fix()
        return (fix["lat"], fix["lon"]) if fix else None

    def stop(self) -> None:
        pass


class PlyerLocation:
    """Android GPS through plyer; keeps the latest fix (plyer calls back on its own thread)."""

    def __init__(self) -> None:
        self._fix: tuple[float, float] | None = None
        self._started = False

    def start(self) -> None:
        if self._started:
            return
        try:
            from plyer import gps

            gps.configure(on_location=self._on_location)
            gps.start(minTime=10_000, minDistance=10)
            self._started = True
        except (ImportError, NotImplementedError, Exception):  # noqa: BLE001 — no GPS is not an error here
            self._started = False

    def _on_location(self, **kwargs: float) -> None:
        if "lat" in kwargs and "lon" in kwargs:
            self._fix = (float(kwargs["lat"]), float(kwargs["lon"]))

    def last_fix(self) -> tuple[float, float] | None:
        return self._fix

    def stop(self) -> None:
        if self._started:
            from plyer import gps

            gps.stop()
            self._started = False
