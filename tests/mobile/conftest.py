"""tests/mobile: the phone's services against a real server process on loopback (one for the session)."""

from __future__ import annotations

import pytest

from tests.live_server import LiveServer
from tests.mobile.helpers import Field


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    server = LiveServer.start(tmp_path_factory.mktemp("live-server"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def admin(live_server):
    admin = live_server.admin()
    yield admin
    admin.close()


@pytest.fixture
def field(live_server, admin, tmp_path):
    """An officer with two sites of one property company, and a phone signed in as them."""
    world = Field.build(live_server, admin, tmp_path)
    yield world
    world.close()


@pytest.fixture
def proxy(live_server):
    """A fault-injecting proxy in front of the live server (see fault_proxy.py)."""
    from tests.mobile.fault_proxy import FaultProxy

    proxy = FaultProxy(live_server.port).start()
    yield proxy
    proxy.stop()
