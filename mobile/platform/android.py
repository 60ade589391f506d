"""The Android side of camera, location and permissions, through pyjnius and p4a's `android` module.

Imported only on a phone (or in tests, with fake `jnius` and `android` modules in sys.modules). The camera
hands the system camera app a content:// URI from the FileProvider that apk/p4a_hook.py declares: a file://
URI raises FileUriExposedException on API 24+. CAMERA and ACCESS_FINE_LOCATION are asked for at run time;
a refusal reaches the caller as `on_denied(permission, retry)`, so the screen can say why and offer to ask again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CAMERA = "android.permission.CAMERA"
FINE_LOCATION = "android.permission.ACCESS_FINE_LOCATION"
COARSE_LOCATION = "android.permission.ACCESS_COARSE_LOCATION"
AUTHORITY_SUFFIX = ".fileprovider"  # the same as apk/p4a_hook.py declares
CAMERA_FOLDER = "saferound-camera"  # the same as apk/res/xml/file_paths.xml shares
REQUEST_IMAGE_CAPTURE = 0x5AFE
RESULT_OK = -1

Denied = Callable[[str, Callable[[], None]], None]  # (permission, ask again)


def ask(permissions: list[str], on_result: Callable[[bool], None]) -> None:
    """Calls on_result(True) when every permission is granted (at once if it already was)."""
    from android.permissions import check_permission, request_permissions

    if all(check_permission(p) for p in permissions):
        on_result(True)
        return

    def answered(asked: list[str], grants: list[bool]) -> None:
        on_result(bool(grants) and all(grants))

    request_permissions(permissions, answered)


def _activity() -> Any:
    from jnius import autoclass

    return autoclass("org.kivy.android.PythonActivity").mActivity


class AndroidCamera:
    """The system camera app writes a JPEG into the app's cache, reached through the FileProvider."""

    def __init__(self, on_denied: Denied | None = None, deliver: Callable[[Callable], Callable] | None = None) -> None:
        self.on_denied = on_denied
        self.deliver = deliver  # kivy's mainthread in the app: answers arrive on Android's threads

    def take_photo(self, on_photo: Callable[[str | None], None]) -> None:
        if self.deliver is not None:
            on_photo = self.deliver(on_photo)

        def answered(granted: bool) -> None:
            if granted:
                self._capture(on_photo)
            else:
                if self.on_denied:
                    self.on_denied(CAMERA, lambda: self.take_photo(on_photo))
                on_photo(None)

        ask([CAMERA], answered)

    def _capture(self, on_photo: Callable[[str | None], None]) -> None:
        from android import activity as activity_events
        from jnius import autoclass, cast

        activity = _activity()
        context = cast("android.content.Context", activity.getApplicationContext())
        folder = Path(context.getCacheDir().getAbsolutePath()) / CAMERA_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"photo-{time.time_ns()}.jpg"

        File = autoclass("java.io.File")
        FileProvider = autoclass("androidx.core.content.FileProvider")
        Intent = autoclass("android.content.Intent")
        MediaStore = autoclass("android.provider.MediaStore")
        authority = context.getPackageName() + AUTHORITY_SUFFIX
        uri = FileProvider.getUriForFile(context, authority, File(str(target)))

        intent = Intent(MediaStore.ACTION_IMAGE_CAPTURE)
        intent.putExtra(MediaStore.EXTRA_OUTPUT, cast("android.os.Parcelable", uri))
        intent.addFlags(Intent.FLAG_GRANT_WRITE_URI_PERMISSION | Intent.FLAG_GRANT_READ_URI_PERMISSION)

        def on_result(request_code: int, result_code: int, _data: Any) -> None:
            if request_code != REQUEST_IMAGE_CAPTURE:
                return
            activity_events.unbind(on_activity_result=on_result)
            ok = result_code == RESULT_OK and target.exists() and target.stat().st_size > 0
            on_photo(str(target) if ok else None)

        activity_events.bind(on_activity_result=on_result)
        activity.startActivityForResult(intent, REQUEST_IMAGE_CAPTURE)


class AndroidLocation:
    """GPS updates while a checklist or report is open; keeps the latest fix with its accuracy in metres.

    plyer's gps calls back on the Java thread, hence the lock. A refusal leaves the app without a fix
    (the server then flags the inspection no_fix) and tells the screen through on_denied.
    """

    def __init__(self, on_denied: Denied | None = None) -> None:
        self.on_denied = on_denied
        self._fix: dict[str, float] | None = None
        self._lock = threading.Lock()
        self.running = False

    def start(self) -> None:
        if self.running:
            return

        def answered(granted: bool) -> None:
            if not granted:
                if self.on_denied:
                    self.on_denied(FINE_LOCATION, self.start)
                return
            from plyer import gps

            gps.configure(on_location=self._on_location)
            gps.start(minTime=1000, minDistance=0)
            self.running = True

        ask([FINE_LOCATION, COARSE_LOCATION], answered)

    def _on_location(self, **kwargs: Any) -> None:
        if kwargs.get("lat") is None or kwargs.get("lon") is None:
            return
        fix = {"lat": float(kwargs["lat"]), "lon": float(kwargs["lon"])}
        if kwargs.get("accuracy") is not None:
            fix["accuracy"] = float(kwargs["accuracy"])
        with self._lock:
            self._fix = fix

    def fix(self) -> dict[str, float] | None:
        with self._lock:
            return dict(self._fix) if self._fix else None

    def last_fix(self) -> tuple[float, float] | None:
        fix = self.fix()
        return (fix["lat"], fix["lon"]) if fix else None

    def stop(self) -> None:
        if self.running:
            from plyer import gps

            gps.stop()
            self.running = False
