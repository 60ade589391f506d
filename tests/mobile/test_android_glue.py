"""The Android glue against fakes of exactly what it touches: pyjnius's autoclass/cast, p4a's `android`
module (permissions, activity results) and plyer's gps. Asserts what the phone would be asked to do."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from mobile.platform import android as glue

PACKAGE = "org.saferound.saferound"


class FakeAndroid:
    """Records permission requests and activity bindings; the test decides what the user answers."""

    def __init__(self, cache_dir: Path, granted: set[str], answer: bool) -> None:
        self.cache_dir, self.granted, self.answer = cache_dir, granted, answer
        self.requests: list[list[str]] = []
        self.bound: list = []
        self.started: list = []
        self.gps_calls: list[tuple] = []
        self.uris: list[tuple[str, str]] = []

    def modules(self) -> dict[str, types.ModuleType]:
        fake = self
        permissions = types.ModuleType("android.permissions")
        permissions.check_permission = lambda p: p in fake.granted

        def request_permissions(perms, callback):
            fake.requests.append(list(perms))
            if fake.answer:
                fake.granted.update(perms)
            callback(perms, [fake.answer] * len(perms))

        permissions.request_permissions = request_permissions
        activity = types.ModuleType("android.activity")
        activity.bind = lambda on_activity_result: fake.bound.append(on_activity_result)
        activity.unbind = lambda on_activity_result: fake.bound.remove(on_activity_result)
        android = types.ModuleType("android")
        android.permissions, android.activity = permissions, activity

        class File:
            def __init__(self, path):
                self.path = path

            def getAbsolutePath(self):
                return self.path

        class Context:
            def getCacheDir(self):
                return File(str(fake.cache_dir))

            def getPackageName(self):
                return PACKAGE

            def getApplicationContext(self):
                return self

            def startActivityForResult(self, intent, code):
                fake.started.append((intent, code))

        class FileProvider:
            @staticmethod
            def getUriForFile(context, authority, file):
                fake.uris.append((authority, file.path))
                return f"content://{authority}/camera/{Path(file.path).name}"

        class Intent:
            FLAG_GRANT_READ_URI_PERMISSION, FLAG_GRANT_WRITE_URI_PERMISSION = 1, 2

            def __init__(self, action):
                self.action, self.extras, self.flags = action, {}, 0

            def putExtra(self, key, value):
                self.extras[key] = value

            def addFlags(self, flags):
                self.flags |= flags

        class MediaStore:
            ACTION_IMAGE_CAPTURE, EXTRA_OUTPUT = "android.media.action.IMAGE_CAPTURE", "output"

        class PythonActivity:
            mActivity = Context()

        classes = {
            "org.kivy.android.PythonActivity": PythonActivity,
            "java.io.File": File,
            "androidx.core.content.FileProvider": FileProvider,
            "android.content.Intent": Intent,
            "android.provider.MediaStore": MediaStore,
        }
        jnius = types.ModuleType("jnius")
        jnius.autoclass = classes.__getitem__
        jnius.cast = lambda _cls, obj: obj
        gps = types.SimpleNamespace(
            configure=lambda on_location, **_: fake.gps_calls.append(("configure", on_location)),
            start=lambda **kw: fake.gps_calls.append(("start", kw)),
            stop=lambda: fake.gps_calls.append(("stop",)),
        )
        plyer = types.ModuleType("plyer")
        plyer.gps = gps
        return {
            "android": android,
            "android.permissions": permissions,
            "android.activity": activity,
            "jnius": jnius,
            "plyer": plyer,
        }


@pytest.fixture
def phone(tmp_path, monkeypatch):
    def make(*, granted=(), answer=True) -> FakeAndroid:
        fake = FakeAndroid(tmp_path / "cache", set(granted), answer)
        for name, module in fake.modules().items():
            monkeypatch.setitem(sys.modules, name, module)
        return fake

    return make


def test_the_camera_app_gets_a_content_uri_from_our_file_provider_after_camera_is_granted(phone):
    fake = phone(answer=True)
    photos: list[str | None] = []
    glue.AndroidCamera().take_photo(photos.append)

    assert fake.requests == [[glue.CAMERA]]
    ((intent, code),) = fake.started
    assert intent.action == "android.media.action.IMAGE_CAPTURE"
    authority, path = fake.uris[0]
    assert authority == PACKAGE + ".fileprovider"
    assert Path(path).parent == fake.cache_dir / "saferound-camera"  # the folder file_paths.xml shares
    assert intent.extras["output"] == f"content://{authority}/camera/{Path(path).name}"
    assert not str(intent.extras["output"]).startswith("file:")
    assert intent.flags & 2 and intent.flags & 1

    Path(path).write_bytes(b"\xff\xd8jpeg")  # the camera app writes through the URI
    fake.bound[0](code, glue.RESULT_OK, None)
    assert photos == [path]
    assert fake.bound == []  # unbound after its one answer


def test_a_cancelled_capture_gives_no_photo_and_a_granted_camera_is_not_asked_again(phone):
    fake = phone(granted={glue.CAMERA})
    photos: list[str | None] = []
    glue.AndroidCamera().take_photo(photos.append)
    assert fake.requests == []
    fake.bound[0](glue.REQUEST_IMAGE_CAPTURE, 0, None)
    assert photos == [None]


def test_a_refused_camera_is_reported_so_the_screen_can_explain_and_ask_again(phone):
    fake = phone(answer=False)
    denied: list[tuple] = []
    photos: list[str | None] = []
    camera = glue.AndroidCamera(on_denied=lambda permission, retry: denied.append((permission, retry)))
    camera.take_photo(photos.append)
    assert [d[0] for d in denied] == [glue.CAMERA] and photos == [None] and fake.started == []

    fake.answer = True  # the officer taps "try again" and allows it
    denied[0][1]()
    assert fake.requests == [[glue.CAMERA], [glue.CAMERA]] and len(fake.started) == 1


def test_location_asks_for_fine_location_then_runs_gps_until_stopped_and_keeps_accuracy(phone):
    fake = phone(answer=True)
    location = glue.AndroidLocation()
    location.start()
    assert fake.requests == [[glue.FINE_LOCATION, glue.COARSE_LOCATION]]
    assert [c[0] for c in fake.gps_calls] == ["configure", "start"]
    on_location = fake.gps_calls[0][1]
    on_location(lat=41.80, lon=123.43, accuracy=8.5, speed=0.0)
    assert location.fix() == {"lat": 41.80, "lon": 123.43, "accuracy": 8.5}
    location.start()  # already running: nothing more
    assert [c[0] for c in fake.gps_calls] == ["configure", "start"]
    location.stop()
    assert fake.gps_calls[-1] == ("stop",) and not location.running


def test_refused_location_starts_no_gps_and_is_reported(phone):
    fake = phone(answer=False)
    denied: list[tuple] = []
    location = glue.AndroidLocation(on_denied=lambda permission, retry: denied.append((permission, retry)))
    location.start()
    assert [d[0] for d in denied] == [glue.FINE_LOCATION] and fake.gps_calls == [] and location.fix() is None
    location.stop()
    assert fake.gps_calls == []
    fake.answer = True
    denied[0][1]()  # try again: allowed this time
    assert [c[0] for c in fake.gps_calls] == ["configure", "start"] and location.running
