"""The console's intake queue (上报受理), its board figure, the ledger's source filter and the poster link,
through HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from server.common import utcnow
from server.intake.models import IntakeReport
from tests.server.test_console_pages import browser_sign_in, csrf_of, raise_hazards
from tests.server.test_intake_public import SCRIPT, code_of, submit, tracking_code

API = "/api/v1"


def age(world, report_id, hours):  # type: ignore[no-untyped-def]
    with world.session() as s:
        row = s.get(IntakeReport, uuid.UUID(report_id))
        row.created_at = utcnow() - timedelta(hours=hours)
        s.add(row)
        s.commit()


def test_officer_handles_the_queue_in_the_console_and_the_board_counts_what_waits(world, client):
    company = world.org()
    site = world.site(company, name="浑河社区")
    officer = world.officer(site)
    existing = raise_hazards(world, site, officer)[0]
    code = code_of(world, site)
    tracking_code(submit(client, code, description="一号楼消防通道堵塞", phone="13811112222"))
    tracking_code(submit(client, code, description="重复：一号楼消防通道堵塞"))
    tracking_code(submit(client, code, description="不是安全问题 " + SCRIPT))
    items = client.get(f"{API}/intake/reports", headers=world.headers(officer)).json()["items"]
    by_text = {r["description"]: r["id"] for r in items}
    age(world, by_text["一号楼消防通道堵塞"], 30)

    browser_sign_in(client, officer.username)
    board = client.get("/").text
    assert re.search(r'data-figure="intake-overdue">1<', board) and re.search(r'data-figure="intake-pending">3<', board)
    assert client.get(f"{API}/board", headers=world.headers(officer)).json()["intake_overdue_24h"] == 1

    page = client.get("/intake")
    assert page.status_code == 200 and "上报受理" in page.text and "一号楼消防通道堵塞" in page.text
    assert "13811112222" in page.text  # the site's officer sees the number in full
    assert SCRIPT not in page.text and "&lt;script&gt;" in page.text
    assert 'data-overdue="1"' in page.text
    token = csrf_of(page.text)

    accepted = client.post(
        f"/intake/{by_text['一号楼消防通道堵塞']}/accept",
        data={"csrf_token": token, "severity": "red", "deadline": ""},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    shown = client.get(accepted.headers["location"]).text
    assert "已受理" in shown and "/hazards/" in shown
    merged = client.post(
        f"/intake/{by_text['重复：一号楼消防通道堵塞']}/merge",
        data={"csrf_token": token, "hazard_id": existing},
    )
    assert merged.status_code == 200 and "已合并" in merged.text
    empty = client.post(f"/intake/{by_text['不是安全问题 ' + SCRIPT]}/decline", data={"csrf_token": token})
    assert empty.status_code == 422 and "请写明不予受理的原因" in empty.text
    declined = client.post(
        f"/intake/{by_text['不是安全问题 ' + SCRIPT]}/decline", data={"csrf_token": token, "reason": "已转物业报修"}
    )
    assert declined.status_code == 200 and "已转物业报修" in declined.text
    again = client.post(
        f"/intake/{by_text['不是安全问题 ' + SCRIPT]}/accept", data={"csrf_token": token, "severity": "red"}
    )
    assert again.status_code == 409 and "已经处理" in again.text
    assert re.search(r'data-figure="intake-pending">0<', client.get("/").text)

    # The accepted report's hazard is in the ledger under its source, and says so on its page.
    ledger = client.get("/ledger?source=resident").text
    assert "一号楼消防通道堵塞" in ledger and "居民扫码上报" in ledger
    assert "重复" not in ledger and existing not in ledger
    assert "一号楼消防通道堵塞" not in client.get("/ledger?source=checklist").text
    hazard_id = client.get(f"{API}/intake/reports/{by_text['一号楼消防通道堵塞']}", headers=world.headers(officer))
    hazard_page = client.get(f"/hazards/{hazard_id.json()['hazard_id']}").text
    assert 'data-source="resident"' in hazard_page and "居民扫码上报" in hazard_page


def test_site_page_links_its_poster_and_a_grid_worker_sees_only_their_reports(world, client):
    site = world.site(world.org(), name="白塔社区")
    officer = world.officer(site)
    worker = world.gridworker(site)
    browser_sign_in(client, officer.username)
    site_page = client.get(f"/sites/{site.id}").text
    assert f'href="/sites/{site.id}/poster.pdf"' in site_page
    pdf = client.get(f"/sites/{site.id}/poster.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    client.cookies.clear()

    body = {"site_id": str(site.id), "category": "gas", "description": "燃气表箱锈蚀"}
    assert (
        client.put(f"{API}/intake/reports/{uuid.uuid4()}", json=body, headers=world.headers(worker)).status_code == 201
    )
    browser_sign_in(client, worker.username)
    assert client.get("/", follow_redirects=False).headers["location"] == "/intake"
    assert client.get("/ledger", follow_redirects=False).headers["location"] == "/intake"
    mine = client.get("/intake?status=all")
    assert mine.status_code == 200 and "燃气表箱锈蚀" in mine.text and "/accept" not in mine.text


def test_a_grid_worker_reports_from_the_browser_with_a_photo_and_a_bad_form_writes_nothing(world, client):
    from tests.server import photo_samples

    site = world.site(world.org(), name="南湖社区")
    officer = world.officer(site)
    worker = world.gridworker(site)
    browser_sign_in(client, worker.username)
    page = client.get("/intake")
    assert "上报问题" in page.text and 'action="/intake/new"' in page.text and "南湖社区" in page.text
    token = csrf_of(page.text)

    wrong = client.post(
        "/intake/new",
        data={"csrf_token": token, "site_id": str(site.id), "category": "volcano", "description": "楼道堆物"},
        files=[("photos", ("a.jpg", photo_samples.plain_jpeg(), "image/jpeg"))],
    )
    assert wrong.status_code == 422 and "没有“volcano”这个类别" in wrong.text and "楼道堆物" in wrong.text
    not_an_image = client.post(
        "/intake/new",
        data={"csrf_token": token, "site_id": str(site.id), "category": "fire", "description": "楼道堆物"},
        files=[("photos", ("a.jpg", b"%PDF-1.4 not a photo", "image/jpeg"))],
    )
    assert not_an_image.status_code in (415, 422)
    assert client.get(f"{API}/intake/reports", headers=world.headers(officer)).json()["items"] == []

    sent = client.post(
        "/intake/new",
        data={"csrf_token": token, "site_id": str(site.id), "category": "fire", "description": "三单元楼道堆放杂物"},
        files=[("photos", ("a.jpg", photo_samples.plain_jpeg(), "image/jpeg"))],
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    shown = client.get(sent.headers["location"]).text
    assert "三单元楼道堆放杂物" in shown and "待受理" in shown
    (report,) = client.get(f"{API}/intake/reports", headers=world.headers(officer)).json()["items"]
    assert report["source"] == "gridworker" and report["category"] == "fire" and len(report["photo_ids"]) == 1
    photo = client.get(f"{API}/photos/{report['photo_ids'][0]}", headers=world.headers(officer))
    assert photo.status_code == 200 and photo.headers["content-type"].startswith("image/")

    client.cookies.clear()
    company_user = world.user("property", world.org())
    browser_sign_in(client, company_user.username)
    page = client.get("/intake")
    assert page.status_code == 404
