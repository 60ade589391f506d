"""Units of work lock only while they write: slow work (a password check) holds up no other writer."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from server.main import create_app
from tests.factories import PASSWORD, World
from tests.live import serve_in_thread

CHECK_SECONDS = 1.0


class SlowPasswordCheck:
    """The app's hasher, with a verify() that takes a second and says when it has begun."""

    def __init__(self, hasher):
        self.hasher = hasher
        self.checking = threading.Event()

    def verify(self, password, hashed):
        self.checking.set()
        time.sleep(CHECK_SECONDS)
        return self.hasher.verify(password, hashed)

    def __getattr__(self, name):
        return getattr(self.hasher, name)


@pytest.mark.parametrize(("password", "answer"), [(PASSWORD, 200), ("wrong-password-1", 401)])
def test_a_sign_in_in_its_password_check_does_not_delay_an_inspection_being_saved(settings, password, answer):
    app = create_app(settings)
    with serve_in_thread(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        world = World.for_app(app, http)
        site = world.site(world.org())
        officer = world.officer(site)
        body = world.inspection_body(site, "gas")
        slow = app.state.password_verifier.hasher = SlowPasswordCheck(app.state.hasher)

        with ThreadPoolExecutor(1) as pool:
            login = pool.submit(
                http.post, "/api/v1/auth/token", data={"username": officer.username, "password": password}
            )
            assert slow.checking.wait(10), "the sign-in never reached its password check"
            started = time.monotonic()
            saved = http.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer))
            took = time.monotonic() - started
            login_still_checking = not login.done()
            signed_in = login.result()

        assert saved.status_code == 201, saved.text
        assert login_still_checking and took < CHECK_SECONDS / 2, f"the inspection waited {took:.2f} s"
        assert signed_in.status_code == answer, signed_in.text
