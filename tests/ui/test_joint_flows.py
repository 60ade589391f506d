"""Joint inspections and revisits on the phone, driven through its widgets against a real server.

An officer walks the gas checklist at 富民社区 with people from two other units, the property company's
representative signs on the pad at the end (simulated touches), the run reaches the server, and the
notice PDF for its hazard shows both participants and the signature. Then a red hazard is closed and its
revisit (due at once: the server runs with SAFEROUND_REVISIT_DAYS=0) shows on the week screen, where one
tap confirms it. Screens are photographed in Chinese and English into test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

# The driver first: it sets Kivy's environment before kivy is imported (import sorting is off here).
from tests.ui import driver as d  # isort: skip
from kivy.tests.common import UnitTestTouch  # isort: skip
from PIL import Image  # isort: skip
from pypdf import PdfReader  # isort: skip
from tests.ui.server_process import ServerProcess  # isort: skip
from tests.ui.test_app_flows import answer, go_tab, screen, settle, shoot, sign_in, sync  # isort: skip

pytestmark = pytest.mark.ui

SITE = "富民社区"  # managed by 沈阳安居物业 (user anju), zhangwei's
SITE_LAT, SITE_LON = d.SITE_LAT, d.SITE_LON
ARTIFACTS = d.REPO / "test-artifacts"
story: dict = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("server"))
    process.env["SAFEROUND_REVISIT_DAYS"] = "0"  # a closed red hazard is due for its revisit the same day
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def photo_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "IMG_0002.jpg"
    return d.striped_photo(path, (1600, 1200), (60, 120, 170), (230, 230, 230), across=True)


@pytest.fixture(scope="module")
def app(server, photo_file, tmp_path_factory):
    the_app = d.open_app(tmp_path_factory.mktemp("phone"), server.url, photo_file)
    yield the_app
    the_app.stop()


def draw(widget, strokes) -> None:
    """A finger drawing on the widget: each stroke is a list of (fx, fy) fractions of its box."""
    for stroke in strokes:
        points = [widget.to_window(widget.x + fx * widget.width, widget.y + fy * widget.height) for fx, fy in stroke]
        touch = UnitTestTouch(*points[0])
        touch.touch_down()
        d.pump(frames=1)
        for x, y in points[1:]:
            touch.touch_move(x, y)
            d.pump(frames=1)
        touch.touch_up()
        d.pump(frames=2)


def add_participant(app, unit: str, name: str) -> None:
    ids = screen(app).ids
    d.tap(next(chip for chip in ids.units.children if chip.unit == unit))
    ids.person.text = name
    before = len(app.current_run["participants"])
    d.tap(ids.add_person)
    d.wait_until(lambda: len(app.current_run["participants"]) == before + 1, 10, f"participant {name}")
    settle(app)


def test_a_joint_inspection_names_two_participants_and_ends_with_a_drawn_signature(app):
    sign_in(app, "zhangwei")
    d.tap(d.find(screen(app), "SiteCard", name=SITE))
    d.wait_until(lambda: app.screens.current == "site", 5, "site screen")
    settle(app)
    gas = d.find(screen(app), "CategoryRow", category="gas")
    d.tap(next(w for w in d.walk(gas) if type(w).__name__ == "MDButton"))
    d.wait_until(lambda: app.screens.current == "checklist" and app.current_run, 10, "checklist")
    settle(app)
    items = [i["id"] for i in app.current_run["items"]]
    story["inspection_id"] = app.current_run["inspection_id"]
    checklist = screen(app)
    checklist.answer("gas.hose_aged", "fail")  # what tapping the row's ✗ does
    d.wait_until(lambda: app.screens.current == "item", 5, "item screen")
    d.tap(next(w for w in d.walk(screen(app).ids.photos) if type(w).__name__ == "AddPhotoTile"))
    d.wait_until(lambda: app.current_run["items"][0]["photos"], 10, "photo saved to the run")
    d.tap(d.find(screen(app), "BackButton"))
    d.wait_until(lambda: app.screens.current == "checklist", 5, "back to the list")
    answer(app, items[1], "pass")  # one row tapped; the rest through the same handler the rows call
    for item_id in items[2:]:
        checklist.answer(item_id, "pass")
    settle(app)
    d.tap(screen(app).ids.review_button)
    d.wait_until(lambda: app.screens.current == "review", 5, "review")
    settle(app)

    d.tap(screen(app).ids.joint_button)
    d.wait_until(lambda: app.screens.current == "joint", 5, "joint inspection screen")
    settle(app)
    add_participant(app, "police", "王建国")
    add_participant(app, "market", "刘芳")
    ids = screen(app).ids
    assert [r.person for r in reversed(ids.people.children)] == ["王建国", "刘芳"]
    ids.signer.text = "赵物业"
    draw(ids.pad, [[(0.1, 0.3), (0.25, 0.75), (0.4, 0.35), (0.55, 0.7)], [(0.6, 0.4), (0.75, 0.6), (0.9, 0.3)]])
    assert ids.pad.has_ink and len(ids.pad.strokes) == 2
    assert len(ids.pad.strokes[0].points) == 2 * (1 + 4)  # a dot where the finger went down, then every move
    d.tap(ids.sign)
    d.wait_until(lambda: app.current_run.get("signature"), 10, "the signature kept with the run")
    settle(app)
    signature = app.current_run["signature"]
    assert signature["signer_name"] == "赵物业" and signature["lat"] == SITE_LAT
    with Image.open(signature["path"]) as kept:  # the drawing, kept as the photo: dark ink on white paper
        gray = kept.convert("L")
        levels = gray.tobytes()  # one byte a pixel
        assert gray.getpixel((2, kept.height // 2)) < 200 or min(levels) < 80
        assert sorted(levels)[len(levels) // 2] > 240
    assert "赵物业" in ids.signed.text
    shoot(app, "20-joint")

    d.tap(ids.done)
    d.wait_until(lambda: app.screens.current == "review", 5, "back to review")
    settle(app)
    assert "公安 王建国" in screen(app).ids.joint_people.text and "市场监管 刘芳" in screen(app).ids.joint_people.text
    assert "赵物业" in screen(app).ids.joint_signed.text
    d.screenshot("21-review-joint.zh")
    d.tap(screen(app).ids.submit)
    d.wait_until(lambda: app.screens.current == "site" and app.current_run is None, 10, "submitted")
    settle(app)


def test_the_joint_inspection_reaches_the_server_with_its_signature(app, server):
    sync(app)
    with server.client("zhangwei") as client:
        inspection = client.get(f"/inspections/{story['inspection_id']}").json()
        assert inspection["joint"] is True
        assert inspection["participants"] == [{"unit": "police", "name": "王建国"}, {"unit": "market", "name": "刘芳"}]
        signature = inspection["signature"]
        assert signature["signer_name"] == "赵物业" and signature["lat"] == SITE_LAT
        photo = client.get(f"/photos/{signature['photo_id']}", params={"size": "original"})
        assert photo.status_code == 200
        story["hazard_id"] = inspection["hazard_ids"][0]


def test_the_notice_for_its_hazard_shows_the_participants_and_the_signature(app, server):
    with server.client("zhangwei") as client:
        hazard = client.get(f"/hazards/{story['hazard_id']}").json()
        notice = client.post(
            "/notices", json={"organization_id": hazard["organization_id"], "hazard_ids": [story["hazard_id"]]}
        )
        assert notice.status_code == 201, notice.text
        pdf = client.get(f"/notices/{notice.json()['id']}.pdf")
    assert pdf.status_code == 200
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    for expected in ("联查联检", "公安 王建国", "市场监管 刘芳", "物业现场签字：赵物业"):
        assert expected in text, expected
    assert len([image for page in reader.pages for image in page.images]) == 2  # the problem photo, the signature
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "notice-joint-phone.pdf").write_bytes(pdf.content)
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"]
            + [str(ARTIFACTS / "notice-joint-phone.pdf"), str(ARTIFACTS / "notice-joint-phone-page1")],
            check=True,
        )


def closed_red_hazard(server) -> str:
    """Through the API, as another phone would: a red item failed at 富民社区 and fixed on the spot."""
    with server.client("zhangwei") as client:
        site = next(s for s in client.get("/sites").json()["items"] if s["name"] == SITE)
        gas = client.get("/checklists/gas").json()
        photos = {}
        for kind in ("problem", "verification"):
            photos[kind] = str(uuid.uuid4())
            out = io.BytesIO()
            Image.new("RGB", (320, 240), (180, 60, 40)).save(out, "JPEG")
            uploaded = client.put(
                f"/photos/{photos[kind]}", files={"file": ("p.jpg", out.getvalue(), "image/jpeg")}, data={"kind": kind}
            )
            assert uploaded.status_code == 201, uploaded.text
        from rulebook.categories import applies

        answers = [
            {
                "item_id": item["id"],
                "result": "fail" if item["id"] == "gas.hose_aged" else "pass",
                "photo_ids": [photos["problem"]] if item["id"] == "gas.hose_aged" else [],
            }
            for item in gas["items"]
            if applies(item.get("applies_if"), site["profile"])
        ]
        from datetime import UTC, datetime, timedelta

        now = datetime.now(UTC)
        body = {
            "site_id": site["id"],
            "category": "gas",
            "template_version": gas["version"],
            "started_at": (now - timedelta(minutes=20)).isoformat(),
            "finished_at": (now - timedelta(minutes=1)).isoformat(),
            "answers": answers,
        }
        created = client.put(f"/inspections/{uuid.uuid4()}", json=body)
        assert created.status_code == 201, created.text
        hazard_id = created.json()["hazard_ids"][0]
        fixed = client.put(
            f"/hazards/{hazard_id}/transitions/{uuid.uuid4()}",
            json={"action": "fix_on_spot", "base_version": 1, "photo_ids": [photos["verification"]]},
        )
        assert fixed.status_code == 201 and fixed.json()["status"] == "closed", fixed.text
        return hazard_id


def test_a_closed_red_hazards_revisit_shows_on_the_week_and_one_tap_confirms_it(app, server):
    hazard_id = closed_red_hazard(server)
    sync(app)
    go_tab(app, "week")
    with server.client("zhangwei") as client:
        due_on_server = {r["hazard_id"] for r in client.get("/revisits", params={"status": "due"}).json()["items"]}
    cards = d.find_all(screen(app), "RevisitCard")
    assert hazard_id in due_on_server and {c.hazard_id for c in cards} == due_on_server  # the demo's too
    card = d.find(screen(app), "RevisitCard", hazard_id=hazard_id)
    assert SITE in card.subtitle
    shoot(app, "22-week-revisit")
    d.tap(card.ids.confirm)
    d.wait_until(lambda: hazard_id not in {c.hazard_id for c in d.find_all(screen(app), "RevisitCard")}, 10, "answered")
    sync(app)
    with server.client("zhangwei") as client:
        due = {r["hazard_id"] for r in client.get("/revisits", params={"status": "due"}).json()["items"]}
        assert due == due_on_server - {hazard_id}
        confirmed = client.get("/revisits", params={"status": "confirmed"}).json()["items"]
        mine = next(r for r in confirmed if r["hazard_id"] == hazard_id)
        assert mine["answered_by"] and mine["hazard_status"] == "closed"
    go_tab(app, "week")
    assert hazard_id not in {c.hazard_id for c in d.find_all(screen(app), "RevisitCard")}
