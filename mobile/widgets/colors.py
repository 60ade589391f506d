"""Colours with a meaning: hazard severity (red / yellow / blue), status and answers."""

from __future__ import annotations

SEVERITY = {
    "red": (0.83, 0.18, 0.16, 1),
    "yellow": (0.96, 0.68, 0.0, 1),
    "blue": (0.10, 0.45, 0.80, 1),
}
# Text drawn on a severity colour: yellow needs dark text to stay readable in sunlight.
ON_SEVERITY = {"red": (1, 1, 1, 1), "yellow": (0.15, 0.12, 0.0, 1), "blue": (1, 1, 1, 1)}
ANSWER = {"pass": (0.18, 0.55, 0.30, 1), "fail": (0.83, 0.18, 0.16, 1), "na": (0.45, 0.47, 0.50, 1)}
OVERDUE = (0.72, 0.05, 0.05, 1)
DONE = (0.18, 0.55, 0.30, 1)
MUTED = (0.40, 0.42, 0.45, 1)


def severity_color(severity: str) -> tuple:
    return SEVERITY.get(severity, MUTED)


def on_severity_color(severity: str) -> tuple:
    return ON_SEVERITY.get(severity, (1, 1, 1, 1))
