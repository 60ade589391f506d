"""Behind the nginx of docs/deploy.md (on the same host, sending X-Forwarded-For), each resident is limited
by their own address, not the proxy's: a real server process, residents posting through "the proxy"."""

from __future__ import annotations

import httpx
import pytest

from tests.live_server import LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer.start(tmp_path_factory.mktemp("behind-proxy"))
    yield live
    live.stop()


def report(url: str, code: str, resident: str) -> httpx.Response:
    return httpx.post(
        f"{url}/r/{code}",
        data={"category": "fire", "description": "楼道里堆满纸箱", "phone": "", "website": ""},
        files=[("photos", ("", b"", "application/octet-stream"))],
        headers={"X-Forwarded-For": resident, "X-Forwarded-Proto": "https"},
        timeout=30,
    )


def test_residents_behind_the_proxy_are_limited_each_by_their_own_address(server):
    admin = server.admin()
    site = admin.site(admin.org())
    code = admin.client.post(f"/sites/{site['id']}/public-code").json()["public_code"]
    first, second = "203.0.113.5", "198.51.100.7"
    assert [report(server.url, code, first).status_code for _ in range(10)] == [201] * 10
    limited = report(server.url, code, first)
    assert limited.status_code == 429 and "您提交得太频繁了" in limited.text
    # Another resident on the same proxy is not held back by the first one's reports.
    assert report(server.url, code, second).status_code == 201
    assert server.count("intake_report") == 11
    admin.close()
