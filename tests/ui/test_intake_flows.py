"""Intake on the phone, driven through its widgets against a real server on loopback.

One app and one window for the module; the tests run in order and continue one story: a grid worker
reports a problem at 富民社区 while the server cannot be reached, the report reaches the server once it
can, the officer accepts it from the intake queue as a red hazard, and the grid worker's list shows it
accepted. Every screen is photographed in Chinese and in English into test-artifacts/screenshots/.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

# The driver first: it sets Kivy's environment (window size, no args, headless) before kivy is imported.
from tests.ui import driver as d  # isort: skip
from tests.ui.server_process import ServerProcess, SlowProxy  # isort: skip
from tests.ui.test_app_flows import go_tab, latin_words, screen, settle  # isort: skip

pytestmark = pytest.mark.ui

SITE = "富民社区"  # a site of server/demo.py
SITE_LAT, SITE_LON = d.SITE_LAT, d.SITE_LON
WORKER = "wanggw"
OFFICER = "zhaoaq"
DESCRIPTION = "3号楼地下车库消火栓箱被杂物遮挡"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("server")).start()
    with process.client("admin") as admin:
        site = next(s for s in admin.get("/sites", params={"limit": 500}).json()["items"] if s["name"] == SITE)
        worker = admin.post(
            "/users",
            json={"username": WORKER, "password": "saferound-demo", "role": "gridworker", "display_name": "王网格"},
        )
        assert worker.status_code == 201, worker.text
        assigned = admin.put(f"/sites/{site['id']}/gridworkers/{worker.json()['id']}")
        assert assigned.status_code == 204, assigned.text
        # The site's officer for this story has this one site (zhangwei's three would make signing in slower).
        officer = admin.post(
            "/users",
            json={"username": OFFICER, "password": "saferound-demo", "role": "officer", "display_name": "赵安全"},
        )
        assert officer.status_code == 201, officer.text
        assigned = admin.post(
            "/assignments", json={"officer_id": officer.json()["id"], "site_id": site["id"], "visits_per_week": 1}
        )
        assert assigned.status_code == 201, assigned.text
    yield process
    process.stop()


class Outage:
    """Puts the proxy's link down: while `down`, every connection is dropped without an answer."""

    def __init__(self, proxy: SlowProxy) -> None:
        self.down = False
        outage = self
        forward = proxy.httpd.RequestHandlerClass

        class Dropping(forward):  # type: ignore[misc, valid-type]
            def handle_one_request(self) -> None:
                if outage.down:
                    self.close_connection = True
                    return
                super().handle_one_request()

            def _drop_or_forward(self) -> None:
                # Asked again once the request is read: a kept-alive connection's handler may have been
                # waiting for its next request since before the link went down (that request got through
                # once, and the report reached the server during the "outage").
                if outage.down:
                    self.close_connection = True
                    return
                forward._forward(self)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _drop_or_forward

        proxy.httpd.RequestHandlerClass = Dropping


@pytest.fixture(scope="module")
def proxy(server):
    slow = SlowProxy(server.url)
    slow.outage = Outage(slow)
    yield slow
    slow.stop()


@pytest.fixture(scope="module")
def photo_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "IMG_0002.jpg"
    return d.striped_photo(path, (2400, 1800), (90, 90, 100), (200, 40, 40), across=True)


@pytest.fixture(scope="module")
def app(proxy, photo_file, tmp_path_factory):
    the_app = d.open_app(tmp_path_factory.mktemp("phone"), proxy.url, photo_file)
    yield the_app
    the_app.stop()


story: dict = {}


def shoot(app, name: str) -> None:
    """Photograph the screen in Chinese and in English (no English may show on the Chinese one)."""
    settle(app)
    d.screenshot(f"{name}.zh")
    assert latin_words(app) == [], f"English on the Chinese screen {name}"
    app.set_language("en")
    settle(app)
    d.screenshot(f"{name}.en")
    app.set_language("zh_CN")
    settle(app)


def sign_in(app, username: str, home: str) -> None:
    d.wait_until(lambda: app.screens.current == "signin", 5, "sign-in screen")
    ids = screen(app).ids
    ids.username.text = username
    ids.password.text = "saferound-demo"
    d.tap(ids.submit)
    d.wait_until(lambda: app.screens.current == home, 30, f"{username} signed in")
    d.wait_until(lambda: not app.syncing, 30, "the first sync")
    settle(app)


def sign_out(app) -> None:
    go_tab(app, "settings")
    d.tap(screen(app).ids.sign_out)
    d.wait_until(lambda: app.screens.current == "signin", 10, "signed out")


def sync(app) -> None:
    app.sync_now(quiet=True)
    d.wait_until(lambda: not app.syncing, 30, "sync to finish")
    settle(app)
    app.refresh_status()
    settle(app)


def wait_for_pending(app, count: int, what: str) -> None:
    """Until the sync bar counts `count` calls on the phone. Its count is read on a worker thread; a read that
    ran while the phone's own scheduler was still sending is asked again each second (the bar is refreshed
    on the phone's next change or sync), so the wait does not hang on one early read."""
    asked = time.monotonic()

    def counted() -> bool:
        nonlocal asked
        if time.monotonic() - asked > 1:
            asked = time.monotonic()
            app.refresh_status()
        return app.pending_count == count

    d.wait_until(counted, 30, what)


def server_report(server, report_id: str) -> dict:
    with server.client(OFFICER) as client:
        return next(
            r for r in client.get("/intake/reports", params={"limit": 200}).json()["items"] if r["id"] == report_id
        )


def cards(app) -> list:
    return d.find_all(screen(app), "IntakeCard")


# ---- the story -------------------------------------------------------------------------------------------


def test_a_grid_worker_lands_on_their_reports(app):
    sign_in(app, WORKER, "reports")
    assert [i.screen_name for i in app._nav.children][::-1] == ["reports", "settings"]
    assert cards(app) == [] and screen(app).ids.empty.opacity == 1
    shoot(app, "intake-01-reports-empty")


def test_a_report_made_while_the_server_cannot_be_reached_waits_on_the_phone(app, proxy):
    proxy.outage.down = True
    d.tap(screen(app).ids.new_report)
    d.wait_until(lambda: app.screens.current == "report", 15, "the report form")
    settle(app)
    form = screen(app)
    assert [c.text for c in form.ids.sites.children] == [SITE] and form.site_id  # the one site, chosen
    assert f"{SITE_LAT:.5f}" in form.ids.location.text
    d.tap(d.find(form.ids.categories, "FilterChip", text="消防"))
    form.ids.description.text = DESCRIPTION
    d.tap(next(w for w in d.walk(form.ids.photos) if type(w).__name__ == "AddPhotoTile"))
    d.wait_until(lambda: len(form.ids.photos.photos) == 1, 15, "the photo in the form")
    shoot(app, "intake-02-report")
    d.tap(form.ids.save)
    d.wait_until(lambda: app.screens.current == "reports", 15, "saved, back on my reports")
    settle(app)
    shown = cards(app)
    assert [c.title for c in shown] == [DESCRIPTION]
    assert shown[0].status_text == "待受理 · 待上传"
    story["report_id"] = shown[0].report_id

    sync(app)
    wait_for_pending(app, 2, "the photo and the report, still on the phone")
    assert app.sync_message
    assert "连不上服务器" in app.sync_message
    shoot(app, "intake-03-reports-offline")


def test_the_report_reaches_the_server_once_it_can_be_reached(app, proxy, server):
    proxy.outage.down = False
    sync(app)
    wait_for_pending(app, 0, "nothing left to send")
    assert not app.attention, app.attention
    stored = server_report(server, story["report_id"])
    assert stored["status"] == "pending" and stored["description"] == DESCRIPTION
    assert stored["category"] == "fire" and len(stored["photo_ids"]) == 1
    assert (stored["lat"], stored["lon"]) == (SITE_LAT, SITE_LON)
    assert cards(app)[0].status_text == "待受理"


def test_the_officer_accepts_it_from_the_intake_queue_with_a_severity(app, server):
    sign_out(app)
    sign_in(app, OFFICER, "week")
    go_tab(app, "intake")
    card = next(c for c in cards(app) if c.report_id == story["report_id"])
    assert card.status_text == "待受理" and SITE in card.subtitle and "网格员上报" in card.subtitle
    shoot(app, "intake-04-queue")
    d.tap(card)
    d.wait_until(lambda: app.screens.current == "intake_report", 5, "the report")
    settle(app)
    detail = screen(app)
    d.wait_until(lambda: detail.ids.photos.photos, 10, "the report's photo")
    assert all(Path(p).is_file() for p in detail.ids.photos.photos)
    d.tap(detail.ids.choose_accept)
    d.tap(detail.ids.sev_red)
    shoot(app, "intake-05-accept")
    d.tap(detail.ids.save)
    d.wait_until(lambda: app.screens.current == "intake", 10, "back on the queue")
    settle(app)
    assert all(c.report_id != story["report_id"] for c in d.find_all(screen(app).ids.queue, "IntakeCard"))
    decided = next(c for c in d.find_all(screen(app).ids.decided, "IntakeCard") if c.report_id == story["report_id"])
    assert decided.status_text == "已受理 · 待上传"
    sync(app)
    wait_for_pending(app, 0, "nothing left to send")
    assert not app.attention, app.attention
    stored = server_report(server, story["report_id"])
    assert stored["status"] == "accepted" and stored["hazard_id"]
    with server.client(OFFICER) as client:
        hazard = client.get(f"/hazards/{stored['hazard_id']}")
    assert hazard.status_code == 200, hazard.text
    assert hazard.json()["severity"] == "red" and hazard.json()["category"] == "fire"
    story["hazard_id"] = stored["hazard_id"]
    shoot(app, "intake-06-queue-decided")


def test_the_grid_worker_sees_it_accepted_after_sync(app):
    sign_out(app)
    sign_in(app, WORKER, "reports")
    sync(app)
    shown = cards(app)
    # Accepted, and the hazard it became, to follow.
    assert [(c.report_id, c.status_text) for c in shown] == [(story["report_id"], "已受理 · 隐患：待处理")]
    shoot(app, "intake-07-reports-accepted")
