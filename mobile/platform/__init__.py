"""Device features behind small protocols, each with a desktop fallback: camera, location."""

from __future__ import annotations

from mobile.platform.camera import Camera, DesktopFileCamera, FixedFileCamera, PlyerCamera
from mobile.platform.location import Location, NoLocation, PlyerLocation, is_android

__all__ = [
    "Camera",
    "DesktopFileCamera",
    "FixedFileCamera",
    "PlyerCamera",
    "Location",
    "NoLocation",
    "PlyerLocation",
    "default_camera",
    "default_location",
    "is_android",
]


def default_camera(on_denied=None) -> Camera:  # noqa: ANN001 — on_denied(permission) runs on any thread
    if is_android():
        from kivy.clock import mainthread

        from mobile.platform.android import AndroidCamera

        return AndroidCamera(on_denied=on_denied, deliver=mainthread)
    return DesktopFileCamera()


def default_location(on_denied=None) -> Location:  # noqa: ANN001
    if is_android():
        from mobile.platform.android import AndroidLocation

        return AndroidLocation(on_denied=on_denied)
    return NoLocation()
