"""The phone app, driven through its widgets against a real server on loopback.

One app and one window for the whole module (Kivy's Window is a singleton); the tests run in order and
each continues the story of the one before: an officer walks the gas checklist and fails an item with a
photo, the hazard reaches the server, the officer issues a notice, the property company acknowledges it
and submits evidence, the officer verifies it with a photo and it is closed. Every screen is
photographed in Chinese and in English into test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

# The driver first: it sets Kivy's environment (window size, no args, headless) before kivy is imported.
# Import sorting would put kivy first, so it is off for this block.
from tests.ui import driver as d  # isort: skip
from kivy.core.window import Window  # isort: skip
from PIL import Image  # isort: skip
from tests.ui.server_process import ServerProcess, SlowProxy  # isort: skip

pytestmark = pytest.mark.ui

SITE = "富民社区"  # managed by 沈阳安居物业 (user anju)
SITE_LAT, SITE_LON = d.SITE_LAT, d.SITE_LON


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("server")).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def proxy(server):
    slow = SlowProxy(server.url)
    yield slow
    slow.stop()


@pytest.fixture(scope="module")
def photo_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "IMG_0001.jpg"
    return d.striped_photo(path, (2400, 1800), (200, 80, 40), (240, 200, 60), across=False)


@pytest.fixture(scope="module")
def app(proxy, photo_file, tmp_path_factory):
    the_app = d.open_app(tmp_path_factory.mktemp("phone"), proxy.url, photo_file)
    yield the_app
    the_app.stop()


story: dict = {}


# ---- helpers ------------------------------------------------------------------------------------------


def screen(app):
    return app.screens.current_screen


def settle(app, timeout: float = 20.0) -> None:
    """Wait for background work to finish and the screen to show it."""
    d.wait_until(
        lambda: app.tasks.busy("io") == 0 and not getattr(screen(app), "loading", False), timeout, "background work"
    )
    d.pump(0.1)


# Latin a Chinese screen may show: names in capitals (standards like GB 50028, TSG, LPG; the notice number's
# SR-), units, and the language switch, which names English in English. Any other word with a small letter
# is English that leaked.
LATIN_ALLOWED = {"km", "kg", "mm", "cm", "kV", "mA", "kW", "kWh", "MPa", "kPa", "English"}


def latin_words(app) -> list[str]:
    """Words in Latin letters on what the window shows (labels and buttons, not what a person typed)."""
    import re

    from kivy.uix.label import Label
    from kivy.uix.textinput import TextInput

    words = []
    for root in Window.children:
        for widget in d.walk(root):
            if isinstance(widget, TextInput) or not isinstance(widget, Label) or widget.opacity == 0:
                continue
            if type(widget).__name__ in ("MDIcon", "MDButtonIcon", "MDListItemLeadingIcon"):
                continue  # an icon's text is its glyph
            text = re.sub(r"https?://\S+", "", widget.text or "")  # an address is a name
            words += [w for w in re.findall(r"[A-Za-z]*[a-z][A-Za-z]*", text) if len(w) > 1 and w not in LATIN_ALLOWED]
    return words


def shoot(app, name: str) -> None:
    """Photograph the current screen in Chinese and in English, and come back to Chinese.

    The Chinese screen may show no English: a Latin word that is not a unit fails the test."""
    settle(app)
    d.screenshot(f"{name}.zh")
    assert latin_words(app) == [], f"English on the Chinese screen {name}"
    app.set_language("en")
    settle(app)
    d.screenshot(f"{name}.en")
    app.set_language("zh_CN")
    settle(app)


def go_tab(app, name: str) -> None:
    """Tap a tab of the bottom bar, first going Back to a screen that shows the bar."""
    while app._nav.parent is None and app.back():
        d.pump(frames=2)
    item = next(i for i in app._nav.children if getattr(i, "screen_name", None) == name)
    d.tap(item)
    d.wait_until(lambda: app.screens.current == name, 5, f"tab {name}")
    settle(app)


def sign_in(app, username: str) -> None:
    d.wait_until(lambda: app.screens.current == "signin", 5, "sign-in screen")
    ids = screen(app).ids
    ids.username.text = username
    ids.password.text = "saferound-demo"
    d.tap(ids.submit)
    d.wait_until(lambda: app.screens.current in ("week", "notices"), 30, f"{username} signed in")
    settle(app)


def sign_out(app) -> None:
    go_tab(app, "settings")
    d.tap(screen(app).ids.sign_out)
    d.wait_until(lambda: app.screens.current == "signin", 10, "signed out")


def sync(app, timeout: float = 30.0) -> None:
    """Sync through the Settings screen's button and wait until the outbox is empty."""
    if app.screens.current != "settings":
        go_tab(app, "settings")
    d.tap(screen(app).ids.sync_button)
    d.wait_until(lambda: not app.syncing, timeout, "sync to finish")
    settle(app)
    app.refresh_status()
    settle(app)
    assert app.pending_count == 0, [
        (r.kind, r.path, r.state, r.last_status, r.depends_on, r.next_attempt_at, r.attempts)
        for r in app.backend.outbox.rows("pending", "sending")
    ] + [app.sync_message, app.backend.sync_status()]
    assert not app.attention, app.attention


def rv_view(rv, **attrs):
    """The visible row of a RecycleView with these attributes, scrolling to it if needed."""
    index = next(i for i, row in enumerate(rv.data) if all(row.get(k) == v for k, v in attrs.items()))
    for _ in range(3):
        view = next(
            (v for v in rv.layout_manager.children if all(getattr(v, k) == val for k, val in attrs.items())), None
        )
        if view is not None and view.parent is not None:
            return view
        rv.scroll_y = 1 - index / max(1, len(rv.data) - 1)
        d.pump(frames=4)
    raise AssertionError(f"row {attrs} not shown")


def answer(app, item_id: str, result: str) -> None:
    row = rv_view(screen(app).ids.rv, item_id=item_id)
    choice = next(c for c in d.walk(row) if type(c).__name__ == "AnswerChoice" and c.value == result)
    d.tap(choice)


def open_hazard_from_list(app, hazard_id: str) -> None:
    go_tab(app, "hazards")
    row = rv_view(screen(app).ids.rv, hazard_id=hazard_id)
    d.tap(row)
    d.wait_until(lambda: app.screens.current == "hazard", 5, "hazard screen")
    settle(app)


def do_action(app, action: str, *, note: str = "", photo: bool = False, days: str = "", name: str = "") -> None:
    """On the hazard screen: tap the action, fill its form, save."""
    button = next(w for w in d.walk(screen(app).ids.actions) if getattr(w, "action", None) == action)
    d.tap(button)
    d.wait_until(lambda: app.screens.current == "action", 5, "action form")
    settle(app)
    if name:
        shoot(app, name)
    ids = screen(app).ids
    if photo:
        d.tap(next(w for w in d.walk(ids.photos) if type(w).__name__ == "AddPhotoTile"))
        d.wait_until(lambda: len(ids.photos.photos) == 1, 5, "photo in the form")
    ids.note.text = note
    ids.deadline_days.text = days
    d.tap(ids.submit)
    d.wait_until(lambda: app.screens.current == "hazard", 15, "back on the hazard")
    settle(app)


def server_hazard(server, username: str, hazard_id: str) -> dict:
    with server.client(username) as client:
        response = client.get(f"/hazards/{hazard_id}")
        assert response.status_code == 200, response.text
        return response.json()


# ---- the story ---------------------------------------------------------------------------------------------


def test_officer_signs_in_and_sees_this_week(app):
    assert app.screens.current == "signin"
    shoot(app, "01-signin")
    sign_in(app, "zhangwei")
    assert app.screens.current == "week"
    names = [c.name for c in d.find_all(screen(app), "SiteCard")]
    assert SITE in names and "天坛社区" in names
    card = d.find(screen(app), "SiteCard", name=SITE)
    assert card.due_text.startswith("待查") or card.finished
    shoot(app, "02-week")


def test_gas_checklist_with_a_failed_item_and_a_photo(app, server):
    d.tap(d.find(screen(app), "SiteCard", name=SITE))
    d.wait_until(lambda: app.screens.current == "site", 5, "site screen")
    settle(app)
    shoot(app, "03-site")
    gas = d.find(screen(app), "CategoryRow", category="gas")
    d.tap(next(w for w in d.walk(gas) if type(w).__name__ == "MDButton"))
    d.wait_until(lambda: app.screens.current == "checklist" and app.current_run, 10, "checklist")
    settle(app)
    items = [i["id"] for i in app.current_run["items"]]
    assert items[0] == "gas.hose_aged" and len(items) >= 5
    story["inspection_id"] = app.current_run["inspection_id"]
    answer(app, items[1], "pass")
    settle(app)
    # Every row shows its own item's answer (rows are recycled: none may keep the one tapped before).
    rv = screen(app).ids.rv
    results = {row["item_id"]: row["result"] for row in rv.data}
    shown = {
        v.item_id: next(w for w in d.walk(v) if type(w).__name__ == "AnswerButtons").result
        for v in rv.layout_manager.children
        if v.item_id
    }
    assert len(shown) >= 5 and shown == {item_id: results[item_id] for item_id in shown}
    assert list(results.values()).count("pass") == 1 and results[items[1]] == "pass"
    assert "已答 1/" in screen(app).ids.progress_label.text
    shoot(app, "04-checklist")

    # A failed item that needs a photo takes the officer to the item, where the camera is.
    answer(app, "gas.hose_aged", "fail")
    d.wait_until(lambda: app.screens.current == "item", 5, "item screen")
    ids = screen(app).ids
    d.tap(next(w for w in d.walk(ids.photos) if type(w).__name__ == "AddPhotoTile"))
    d.wait_until(lambda: app.current_run["items"][0]["photos"], 10, "photo saved to the run")
    ids.note.text = "软管龟裂，已告知住户"
    screen(app).toggle_guidance()
    shoot(app, "05-item")
    d.tap(d.find(screen(app), "BackButton"))
    d.wait_until(lambda: app.screens.current == "checklist", 5, "back to the list")
    settle(app)
    assert app.current_run["items"][0]["note"] == "软管龟裂，已告知住户"
    assert app.current_run["items"][0]["result"] == "fail"

    for item_id in items[2:]:
        answer(app, item_id, "pass")
    settle(app)
    assert app.current_run["answered"] == app.current_run["total"] == len(items)
    d.tap(screen(app).ids.review_button)
    d.wait_until(lambda: app.screens.current == "review", 5, "review")
    settle(app)
    assert not app.current_run["problems"]
    previews = d.find_all(screen(app), "HazardPreview")
    assert len(previews) == 1 and previews[0].severity == "red"
    shoot(app, "06-review")
    d.tap(screen(app).ids.submit)
    d.wait_until(lambda: app.screens.current == "site" and app.current_run is None, 10, "submitted, back at the site")
    settle(app)
    story["hazard_id"] = str(uuid.uuid5(uuid.UUID(story["inspection_id"]), "gas.hose_aged"))
    # Saved on the phone and visible at once, before any sync.
    assert any(getattr(r, "hazard_id", None) == story["hazard_id"] for r in d.walk(screen(app)))
    app.refresh_status()
    settle(app)
    assert app.pending_count >= 2  # the photo and the inspection


def test_sync_puts_the_hazard_on_the_server(app, server):
    sync(app)
    shoot(app, "07-settings")
    hazard = server_hazard(server, "zhangwei", story["hazard_id"])
    assert hazard["status"] == "open" and hazard["severity"] == "red"
    assert hazard["item_id"] == "gas.hose_aged"
    assert len(hazard["photo_ids"]) == 1
    with server.client("zhangwei") as client:
        assert client.get(f"/photos/{hazard['photo_ids'][0]}", params={"size": "thumb"}).status_code == 200


def test_the_site_shows_its_inspection_history_from_the_server(app, server):
    go_tab(app, "week")
    d.tap(d.find(screen(app), "SiteCard", name=SITE))
    d.wait_until(lambda: app.screens.current == "site", 5, "site screen")
    settle(app)
    history = screen(app).ids.history
    d.wait_until(lambda: getattr(screen(app), "_history", None) is not None, 15, "the history to arrive")
    settle(app)
    runs = screen(app)._history["runs"]
    assert "gas" in [r["category"] for r in runs] and not screen(app)._history["offline"]
    gas = next(r for r in runs if r["category"] == "gas")
    assert gas["failed"] and gas["failed"][0]["photos"]  # the run this story submitted, with its photo
    scroller = next(w for w in d.walk(screen(app)) if type(w).__name__ == "Page")  # the page, not a photo strip
    settle(app)
    scroller.scroll_y = 0  # the history is at the end of the page
    assert history.children
    shoot(app, "07b-site-history")
    app.back()
    settle(app)


def test_the_ui_keeps_running_while_the_server_does_not_answer(app, proxy):
    """Sync waits on a server that does not answer; meanwhile the frame loop ticks and the app is usable."""
    go_tab(app, "settings")
    proxy.gate.clear()
    try:
        app.sync_now()
        d.wait_until(lambda: proxy.held, 10, "the sync's first request to reach the server")
        start = time.monotonic()
        stamps = []
        while time.monotonic() - start < 2.0:
            d.pump(frames=1)
            stamps.append(time.monotonic())
        assert app.syncing and proxy.held, "the sync should still be waiting on the server"
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        assert len(stamps) > 40, f"only {len(stamps)} frames in 2 s while the server was silent"
        assert max(gaps) < 0.5, f"the UI froze for {max(gaps):.2f}s while the server was silent"
        # A person can keep working: switch to This week and open a site while the sync waits.
        go_tab(app, "week")
        d.tap(d.find(screen(app), "SiteCard", name=SITE))
        d.wait_until(lambda: app.screens.current == "site" and not screen(app).loading, 10, "site while syncing")
        assert app.syncing and proxy.held
    finally:
        proxy.gate.set()
    d.wait_until(lambda: not app.syncing, 30, "the sync to finish once the server answers")
    settle(app)
    assert not app.sync_message


def test_a_sync_nobody_tapped_shows_on_the_sync_bar(app, proxy):
    """The phone's scheduler syncs by itself too (after saving, every minute); the bar shows those syncs."""
    go_tab(app, "week")
    bar = d.find(screen(app), "SyncBar")
    indicator = d.find(bar, "MDLinearProgressIndicator")
    assert indicator.opacity == 0
    proxy.gate.clear()
    try:
        app.backend.request_sync()  # as the scheduler's own timer does: not through the app or a button
        d.wait_until(lambda: proxy.held, 10, "the sync's first request to reach the server")
        d.wait_until(lambda: indicator.opacity == 1, 5, "the progress bar to show")
        assert bar.ids.status.text == app.tr("sync.running")
        d.screenshot("07b-week-syncing.en" if app.lang == "en" else "07b-week-syncing.zh")
    finally:
        proxy.gate.set()
    d.wait_until(lambda: not app.syncing, 30, "the sync to finish once the server answers")
    settle(app)
    assert indicator.opacity == 0 and indicator.value == 100
    assert bar.ids.status.text.startswith(app.tr("sync.all_sent"))


def test_hazard_list_and_detail_and_the_officer_issues_a_notice(app, server):
    open_hazard_from_list(app, story["hazard_id"])
    go_tab(app, "hazards")
    shoot(app, "08-hazards")
    row = rv_view(screen(app).ids.rv, hazard_id=story["hazard_id"])
    d.tap(row)
    d.wait_until(lambda: app.screens.current == "hazard", 5, "hazard screen")
    settle(app)
    actions = [w.action for w in d.walk(screen(app).ids.actions) if getattr(w, "action", None)]
    assert "notify" in actions and "fix_on_spot" in actions
    shoot(app, "09-hazard-open")
    do_action(app, "notify", days="5", note="请于期限内更换燃气软管", name="10-action-notify")
    sync(app)
    assert server_hazard(server, "zhangwei", story["hazard_id"])["status"] == "notified"


def test_officer_logs_a_training_session(app, server):
    go_tab(app, "week")
    d.tap(d.find(screen(app), "SiteCard", name=SITE))
    d.wait_until(lambda: app.screens.current == "site", 5, "site")
    settle(app)
    d.tap(screen(app).ids.training_button)
    d.wait_until(lambda: app.screens.current == "training", 5, "training form")
    settle(app)
    shoot(app, "11-training")
    ids = screen(app).ids
    for category in ("gas", "fire"):
        d.tap(next(w for w in d.walk(ids.topics) if getattr(w, "category", None) == category))
    ids.held_on.text = (date.today() - timedelta(days=1)).isoformat()
    ids.held_at.text = "15:00"
    ids.attendees.text = "36"
    ids.duration.text = "45"
    ids.notes.text = "讲解燃气软管更换与灭火器使用"
    d.tap(next(w for w in d.walk(ids.photos) if type(w).__name__ == "AddPhotoTile"))
    d.wait_until(lambda: len(ids.photos.photos) == 1, 5, "sign-in sheet photo")
    d.tap(ids.save)
    d.wait_until(lambda: app.screens.current == "site" or screen(app).error, 10, "saved, back at the site")
    assert app.screens.current == "site", screen(app).error
    sync(app)
    with server.client("zhangwei") as client:
        trainings = client.get("/trainings").json()["items"]
    assert any(
        t["attendee_count"] == 36 and set(t["topics"]) == {"gas", "fire"} and len(t["photo_ids"]) == 1
        for t in trainings
    ), trainings


def test_property_company_acknowledges_and_submits_evidence(app, server):
    sign_out(app)
    sign_in(app, "anju")
    assert app.screens.current == "notices"
    # A company with a year of notices behind it: the first sign-in pulls them all before the list is whole.
    d.wait_until(lambda: not app.syncing, 60, "the first sync after signing in")
    go_tab(app, "settings")
    go_tab(app, "notices")
    notice_id = server_hazard(server, "anju", story["hazard_id"])["notice_id"]
    row = next(r for r in d.find_all(screen(app), "NoticeRow") if r.notice_id == notice_id)
    assert not row.acknowledged
    shoot(app, "12-notices")
    d.tap(row)
    d.wait_until(lambda: app.screens.current == "notice", 5, "notice")
    settle(app)
    shoot(app, "13-notice")
    d.tap(screen(app).ids.ack_button)
    settle(app)
    sync(app)
    assert server_hazard(server, "anju", story["hazard_id"])["status"] == "rectifying"
    with server.client("anju") as client:
        assert client.get(f"/notices/{notice_id}").json()["acknowledged_at"]

    go_tab(app, "notices")
    d.tap(next(r for r in d.find_all(screen(app), "NoticeRow") if r.notice_id == notice_id))
    d.wait_until(lambda: app.screens.current == "notice", 5, "notice")
    settle(app)
    d.tap(next(r for r in d.walk(screen(app)) if getattr(r, "hazard_id", None) == story["hazard_id"]))
    d.wait_until(lambda: app.screens.current == "hazard", 5, "hazard")
    settle(app)
    do_action(app, "submit_evidence", photo=True, note="已更换为不锈钢波纹管", name="14-action-evidence")
    sync(app)
    assert server_hazard(server, "anju", story["hazard_id"])["status"] == "awaiting_verification"


def test_officer_verifies_with_a_photo_and_the_hazard_is_closed(app, server):
    sign_out(app)
    sign_in(app, "zhangwei")
    open_hazard_from_list(app, story["hazard_id"])
    actions = [w.action for w in d.walk(screen(app).ids.actions) if getattr(w, "action", None)]
    assert "verify" in actions and "reject" in actions
    do_action(app, "verify", photo=True, note="现场复查合格")
    sync(app)
    hazard = server_hazard(server, "zhangwei", story["hazard_id"])
    assert hazard["status"] == "closed"
    # The detail shows the photos before / after / verification side by side, and the whole timeline.
    go_tab(app, "hazards")
    screen(app).set_filter(closed=True)
    settle(app)
    d.tap(rv_view(screen(app).ids.rv, hazard_id=story["hazard_id"]))
    d.wait_until(lambda: app.screens.current == "hazard", 5, "closed hazard")
    settle(app)
    ids = screen(app).ids
    d.wait_until(lambda: ids.before.photos and ids.after.photos and ids.verification.photos, 10, "three photos")
    assert all(Path(p).is_file() for p in ids.before.photos + ids.after.photos + ids.verification.photos)
    steps = [e.what for e in d.find_all(ids.timeline, "TimelineEntry")]
    assert len(steps) >= 5, steps
    shoot(app, "15-hazard-closed")
    scroller = next(w for w in d.walk(screen(app)) if type(w).__name__ == "Page")
    scroller.scroll_y = 0
    shoot(app, "16-hazard-timeline")


def test_needs_attention_says_why_in_chinese(app, server):
    """A record the server refuses, and one waiting on it, are listed in the phone's language."""
    phone = app.backend
    site_id = next(s["id"] for s in phone.sites() if s["name"] == SITE)
    hazard_id = phone.report_hazard(
        site_id=site_id,
        category="gas",
        severity="yellow",
        description="楼道燃气表箱门锁损坏",
        found_at=(date.today() + timedelta(days=3)).isoformat() + "T09:00:00+08:00",
    )
    company = next(s for s in phone.sites() if s["id"] == site_id)["property_org_id"]
    phone.issue_notice(organization_id=company, hazard_ids=[hazard_id])
    go_tab(app, "settings")
    d.tap(screen(app).ids.sync_button)
    d.wait_until(lambda: not app.syncing and len(app.attention) == 2, 30, "the refusal to be listed")
    settle(app)
    cards = d.find_all(screen(app), "AttentionCard")
    refused = next(c for c in cards if not c.waiting)
    waiting = next(c for c in cards if c.waiting)
    assert "将来" in refused.message and "手机的时钟" in refused.message  # time_in_future, said in Chinese
    assert refused.title == "隐患 · 楼道燃气表箱门锁损坏"
    assert waiting.message == "等待“隐患 · 楼道燃气表箱门锁损坏”处理完毕后才能上传。"
    shoot(app, "17-needs-attention")
    refused.dispatch("on_discard")  # the notice waiting on it goes with it
    settle(app)
    app.refresh_status()
    d.wait_until(lambda: not app.attention, 10, "the list to be empty")


def test_evidence_on_the_server_carries_the_caption_strip(app, server):
    """The display photo and the notice PDF's photo carry site, local time, who and coordinates."""
    import subprocess

    hazard = server_hazard(server, "zhangwei", story["hazard_id"])
    with server.client("zhangwei") as client:
        display = client.get(f"/photos/{hazard['photo_ids'][0]}", params={"size": "display"})
        original = client.get(f"/photos/{hazard['photo_ids'][0]}", params={"size": "original"})
        notice = client.get(f"/notices/{hazard['notice_id']}.pdf")
        inspection = client.get(f"/inspections/{hazard['inspection_id']}").json()
        photo = client.get(f"/hazards/{story['hazard_id']}").json()
    # The phone was at the site from start to finish, with its clock right: nothing to flag.
    assert inspection["presence_flags"] == [] and inspection["start_lat"] == SITE_LAT
    assert inspection["accuracy_m"] == 8.0 and photo["presence_flags"] == []
    assert display.status_code == original.status_code == notice.status_code == 200
    assert display.content != original.content
    d.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    Image.open(io.BytesIO(display.content)).save(d.SCREENSHOTS / "20-captioned-display-photo.png")
    pdf = d.SCREENSHOTS / "21-notice.pdf"
    pdf.write_bytes(notice.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(pdf.with_suffix(""))], check=True
    )
    pdf.unlink()
    image = Image.open(io.BytesIO(display.content)).convert("RGB")
    width, height = image.size
    bottom = [image.getpixel((x, height - 5)) for x in range(0, width, 9)]
    assert sum(sum(p) < 270 for p in bottom) > 0.6 * len(bottom)  # the dark caption strip


def test_a_refused_permission_is_explained_with_a_way_to_ask_again(app):
    asked = []
    for lang in ("zh_CN", "en"):
        app.set_language(lang)
        settle(app)
        notice = app.show_permission_notice("android.permission.CAMERA", lambda: asked.append(lang))
        settle(app)
        assert ("相机" in notice.sentence.text) if lang == "zh_CN" else ("camera" in notice.sentence.text)
        if lang == "zh_CN":
            assert latin_words(app) == []
        d.screenshot(f"22-permission-camera.{'zh' if lang == 'zh_CN' else 'en'}")
        again = next(w for w in d.walk(notice) if type(w).__name__ == "MDButton" and w.style == "filled")
        d.tap(again)
        settle(app)
    app.set_language("zh_CN")
    settle(app)
    assert asked == ["zh_CN", "en"]


def test_both_catalogs_have_every_message():
    from mobile.i18n import missing_keys

    assert missing_keys() == {}


def test_every_label_renders_with_the_cjk_font(app):
    from kivy.core.text import LabelBase

    from mobile.fonts import find_cjk_font

    font = find_cjk_font()
    assert font and LabelBase._fonts["Roboto"][0] == font
    assert all(
        role["font-name"] != "Roboto" or LabelBase._fonts["Roboto"][0] == font
        for style, roles in app.theme_cls.font_styles.items()
        if style != "Icon"
        for role in roles.values()
    )
    assert Window.size == (540, 1080)
