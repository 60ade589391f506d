"""The report page and the delivery log in the console: the same figures as the API, drill-down, files, and an
admin retrying a dead notification — on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
import uuid

from openpyxl import load_workbook

from rulebook import weeks
from server.common import utcnow
from server.notify.models import OutboxMessage, Subscription
from tests.server.test_console_pages import browser_sign_in, csrf_of, raise_hazards


def test_the_report_page_shows_the_apis_figures_with_their_comparisons(world):
    org = world.org("沈阳安居物业")
    site = world.site(org, street="正良街道")
    officer = world.officer(site)
    admin = world.admin()
    raise_hazards(world, site, officer)
    week = weeks.week_of(utcnow(), weeks.zone())
    api = world.client.get(f"/api/v1/reports/{week}", headers=world.headers(admin)).json()
    browser_sign_in(world.client, admin.username)
    page = world.client.get("/reports", params={"period": week})
    assert page.status_code == 200
    assert "环比" in page.text and "同比" in page.text and "物业公司评分" in page.text
    cells = dict(
        re.findall(r"<td style=\"text-align:left\">([^<]+)</td>\s*<td data-figure=\"\d+\">([^<]+)</td>", page.text)
    )
    assert cells["发现隐患"] == str(api["figures"]["hazards_found"]["value"]) != "0"
    assert cells["检查次数"] == str(api["figures"]["inspections"]["value"])
    street = world.client.get("/reports", params={"period": week, "scope": "street:正良街道"})
    assert street.status_code == 200 and site.name in street.text  # the street's sites to drill into
    xlsx = world.client.get("/reports/file", params={"period": week, "format": "xlsx"})
    rows = {r[0]: r for r in load_workbook(io.BytesIO(xlsx.content))["主要指标"].iter_rows(min_row=3, values_only=True)}
    assert rows["发现隐患"][1] == api["figures"]["hazards_found"]["value"]
    pdf = world.client.get("/reports/file", params={"period": week, "format": "pdf"})
    assert pdf.content.startswith(b"%PDF")


def test_a_bad_period_is_explained_and_another_scope_looks_missing(world):
    org = world.org()
    officer = world.officer(world.site(org, street="正良街道"))
    world.site(world.org(), street="李相街道")
    browser_sign_in(world.client, officer.username)
    bad = world.client.get("/reports", params={"period": "2026-13"})
    assert bad.status_code == 422 and "不是报表周期" in bad.text
    elsewhere = world.client.get("/reports", params={"period": "2026-W48", "scope": "street:李相街道"})
    assert elsewhere.status_code == 404


def test_an_admin_sees_a_dead_delivery_and_retries_it(world):
    admin = world.admin()
    with world.session() as s:
        sub = Subscription(
            channel="webhook",
            target="http://127.0.0.1:9/hook",
            events=["notice_issued"],
            secret="s" * 32,
            created_by=admin.id,
        )
        s.add(sub)
        s.flush()
        now = utcnow()
        dead = OutboxMessage(
            id=uuid.uuid4(),
            event="notice_issued",
            event_key="n1",
            subscription_id=sub.id,
            channel="webhook",
            target=sub.target,
            payload={},
            status="dead",
            attempts=9,
            occurred_at=now,
            next_attempt_at=now,
            window_started_at=now,
            last_error="connection refused",
        )
        s.add(dead)
        s.commit()
    browser_sign_in(world.client, admin.username)
    page = world.client.get("/admin/deliveries", params={"status": "dead"})
    assert page.status_code == 200 and "connection refused" in page.text
    world.client.post(f"/admin/deliveries/{dead.id}/retry", data={"csrf_token": csrf_of(page.text), "status": ""})
    with world.session() as s:
        assert s.get(OutboxMessage, dead.id).status == "pending"
    officer = world.officer(world.site(world.org()))
    world.client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    browser_sign_in(world.client, officer.username)
    assert world.client.get("/admin/deliveries").status_code == 404


def test_an_officer_issues_a_notice_from_the_hazard_page(world):
    org = world.org("沈阳安居物业")
    site = world.site(org)
    officer = world.officer(site)
    [hazard_id] = raise_hazards(world, site, officer)
    browser_sign_in(world.client, officer.username)
    page = world.client.get(f"/hazards/{hazard_id}")
    assert 'action="/hazards/' in page.text and "下发整改通知" in page.text
    bad = world.client.post(
        f"/hazards/{hazard_id}/notice", data={"csrf_token": csrf_of(page.text), "deadline_days": "900"}
    )
    assert bad.status_code == 422 and "365" in bad.text
    done = world.client.post(
        f"/hazards/{hazard_id}/notice",
        data={"csrf_token": csrf_of(page.text), "deadline_days": "5", "note": "请尽快更换"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/notices/")
    hazard = world.client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(officer)).json()
    assert hazard["status"] == "notified" and hazard["notice_id"] == done.headers["location"].split("/")[-1]
    assert [h["action"] for h in hazard["history"]][-1] == "notify"


def test_a_site_pages_inspection_opens_with_every_answer_note_and_photo(world):
    org = world.org()
    site = world.site(org)
    officer = world.officer(site)
    [hazard_id] = raise_hazards(world, site, officer)
    browser_sign_in(world.client, officer.username)
    site_page = world.client.get(f"/sites/{site.id}")
    inspection_path = re.search(r'href="(/inspections/[0-9a-f-]+)"', site_page.text).group(1)
    page = world.client.get(inspection_path)
    assert page.status_code == 200
    assert 'data-item="gas.hose_aged"' in page.text and "不通过" in page.text and f"/hazards/{hazard_id}" in page.text
    assert "/photos/" in page.text and "size=thumb" in page.text
    stranger = world.officer(world.site(world.org()))
    world.client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    browser_sign_in(world.client, stranger.username)
    assert world.client.get(inspection_path).status_code == 404
