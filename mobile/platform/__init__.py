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


def default_camera() -> Camera:
    return PlyerCamera() if is_android() else DesktopFileCamera()


def default_location() -> Location:
    return PlyerLocation() if is_android() else NoLocation()
