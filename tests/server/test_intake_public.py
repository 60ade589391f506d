"""Residents report from a site's public page (the poster's QR code) and follow it with a tracking code; the
page holds up against abuse. Both databases; real photos through the real upload pipeline."""

from __future__ import annotations

import html
import io
import re
import uuid

from PIL import Image
from sqlmodel import func, select

from rulebook.intake import mask_phone
from server.intake.models import IntakeReport
from server.sites.models import Site
from tests.factories import small_jpeg
from tests.server.test_intake_queue import close_through_notice

API = "/api/v1"
SCRIPT = "<script>alert('x')</script>"


def code_of(world, site) -> str:
    with world.session() as s:
        return s.get(Site, site.id).public_code


def submit(client, code, photos=(), **fields):
    data = {"category": "fire", "description": "楼道里堆满纸箱", "phone": "", "website": "", **fields}
    files = [("photos", (f"p{i}.jpg", content, "image/jpeg")) for i, content in enumerate(photos)]
    return client.post(f"/r/{code}", data=data, files=files or [("photos", ("", b"", "application/octet-stream"))])


def tracking_code(response) -> str:
    assert response.status_code == 201, response.text[:500]
    return re.search(r'id="tracking-code">([A-Z0-9]+)<', response.text).group(1)


def stored_reports(world) -> int:
    with world.session() as s:
        return s.exec(select(func.count()).select_from(IntakeReport)).one()


def test_resident_reports_follows_and_answers_not_fixed_which_reopens_through_the_queue(world, client):
    company = world.org()
    site = world.site(company, name="长白社区")
    officer = world.officer(site)
    staff = world.user("property", company)
    code = code_of(world, site)

    form = client.get(f"/r/{code}")
    assert form.status_code == 200 and "长白社区" in form.text and "问题类别" in form.text and "燃气" in form.text
    assert str(site.id) not in form.text  # the page names the site, never its id
    tracking = tracking_code(submit(client, code, photos=[small_jpeg()], phone="13812341234"))
    page = client.get(f"/t/{tracking}")
    assert page.status_code == 200 and "已受理" in page.text and "楼道里堆满纸箱" in page.text

    queue = client.get(f"{API}/intake/reports", headers=world.headers(officer)).json()["items"]
    assert len(queue) == 1 and queue[0]["source"] == "resident" and queue[0]["tracking_code"] == tracking
    assert queue[0]["reporter_phone"] == "13812341234" and len(queue[0]["photo_ids"]) == 1
    other_officer = world.officer(world.site(company))
    assert client.get(f"{API}/intake/reports/{queue[0]['id']}", headers=world.headers(other_officer)).status_code == 404

    accepted = client.post(
        f"{API}/intake/reports/{queue[0]['id']}/accept", json={"severity": "red"}, headers=world.headers(officer)
    ).json()
    hazard_id = accepted["hazard_id"]
    hazard = client.get(f"{API}/hazards/{hazard_id}", headers=world.headers(officer)).json()
    assert hazard["source"] == "resident" and hazard["photo_ids"] == queue[0]["photo_ids"]
    assert "处理中" in client.get(f"/t/{tracking}").text

    close_through_notice(world, client, officer, staff, company, hazard_id)
    page = client.get(f"/t/{tracking}").text
    assert "已办结" in page and "仍未解决" in page
    assert "杂物已清理" not in page  # nothing of the hazard's insides: the company's evidence note stays inside

    answered = client.post(f"/t/{tracking}/revisit", data={"fixed": "0"}, follow_redirects=False)
    assert answered.status_code == 303
    page = client.get(f"/t/{tracking}").text
    assert "已转给社区安全员重新处理" in page and "仍未解决" not in page
    assert client.post(f"/t/{tracking}/revisit", data={"fixed": "1"}).status_code == 409

    reopen = client.get(f"{API}/intake/reports?kind=reopen_request", headers=world.headers(officer)).json()["items"]
    assert [r["hazard_id"] for r in reopen] == [hazard_id] and reopen[0]["source"] == "resident"
    client.post(
        f"{API}/intake/reports/{reopen[0]['id']}/accept", json={"severity": "red"}, headers=world.headers(officer)
    )
    assert client.get(f"{API}/hazards/{hazard_id}", headers=world.headers(officer)).json()["status"] == "rectifying"


def test_declined_report_shows_the_reason_escaped_and_nothing_of_another_report(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    code = code_of(world, site)
    first = tracking_code(submit(client, code, description="第一条：" + SCRIPT))
    second = tracking_code(submit(client, code, description="第二条上报内容"))
    report_id = client.get(f"{API}/intake/reports", headers=world.headers(officer)).json()["items"][-1]["id"]
    client.post(
        f"{API}/intake/reports/{report_id}/decline",
        json={"reason": "不属于安全隐患 " + SCRIPT},
        headers=world.headers(officer),
    )

    page = client.get(f"/t/{first}").text
    assert "未受理" in page and "不属于安全隐患" in page
    assert SCRIPT not in page and html.escape(SCRIPT, quote=False).replace("'", "&#39;") in page
    assert "第二条上报内容" not in page and second not in page
    other = client.get(f"/t/{second}").text
    assert "第一条" not in other and "不属于安全隐患" not in other and "已受理" in other
    assert client.get("/t/ZZZZZZZZZZZZ").status_code == 404
    assert client.get("/t/" + first.lower()[:-1]).status_code == 404


def test_every_text_field_comes_back_escaped(world, client):
    code = code_of(world, world.site(world.org()))
    # A refused form shows what was typed again: escaped, in every field.
    refused = submit(client, code, description=SCRIPT, phone=SCRIPT)
    assert refused.status_code == 422 and "手机号格式不对" in refused.text
    assert "<script>" not in refused.text and "&lt;script&gt;" in refused.text
    refused = submit(client, code, category=SCRIPT)
    assert refused.status_code == 422 and "<script>" not in refused.text
    accepted = tracking_code(submit(client, code, description=SCRIPT))
    assert "<script>" not in client.get(f"/t/{accepted}").text
    assert client.get(f"/r/{code}", headers={"Accept-Language": "en"}).headers["content-type"].startswith("text/html")


def test_eleventh_report_from_one_address_within_the_hour_is_429_in_chinese(world, client):
    code = code_of(world, world.site(world.org()))
    for _ in range(10):
        tracking_code(submit(client, code))
    limited = submit(client, code)
    assert limited.status_code == 429 and "text/html" in limited.headers["content-type"]
    assert "您提交得太频繁了" in limited.text
    assert stored_reports(world) == 10


def test_a_site_takes_only_so_many_reports_an_hour_from_all_addresses(world, client):
    client.app.state.settings.public_reports_per_site = 3
    code = code_of(world, world.site(world.org()))
    for _ in range(3):
        tracking_code(submit(client, code))
    limited = submit(client, code)
    assert limited.status_code == 429 and "这个社区这一小时收到的上报太多" in limited.text


def test_oversized_non_image_honeypot_and_fourth_photo_are_refused_and_store_nothing(world, client):
    client.app.state.settings.public_photo_max_bytes = 200_000
    code = code_of(world, world.site(world.org()))
    big = io.BytesIO()
    Image.effect_noise((600, 600), 80).convert("RGB").save(big, "PNG")
    assert len(big.getvalue()) > 200_000
    too_big = submit(client, code, photos=[big.getvalue()])
    assert too_big.status_code == 413 and "text/html" in too_big.headers["content-type"]
    not_image = submit(client, code, photos=[b"#!/bin/sh\necho not a photo\n" * 20])
    assert not_image.status_code == 415 and "楼道里堆满纸箱" in not_image.text  # the form, filled in again
    robot = submit(client, code, website="http://spam.example")
    assert robot.status_code == 422 and "提交未被接受" in robot.text
    four = submit(client, code, photos=[small_jpeg()] * 4)
    assert four.status_code == 422 and "最多 3 张" in four.text
    assert stored_reports(world) == 0


def test_unknown_or_retired_site_code_is_404_and_the_new_code_works(world, client):
    site = world.site(world.org())
    old = code_of(world, site)
    assert client.get("/r/not-a-real-code").status_code == 404
    assert submit(client, "not-a-real-code").status_code == 404
    officer = world.officer(site)
    assert client.post(f"{API}/sites/{site.id}/public-code", headers=world.headers(officer)).status_code == 403
    renewed = client.post(f"{API}/sites/{site.id}/public-code", headers=world.headers(world.admin()))
    assert renewed.status_code == 200
    new = renewed.json()["public_code"]
    assert new != old and renewed.json()["url"].endswith(f"/r/{new}")
    assert client.get(f"/r/{old}").status_code == 404 and "页面不存在" in client.get(f"/r/{old}").text
    assert submit(client, old).status_code == 404
    assert client.get(f"/r/{new}").status_code == 200
    assert (
        client.post(f"{API}/sites/{uuid.uuid4()}/public-code", headers=world.headers(world.admin())).status_code == 404
    )


def test_a_masked_phone_shows_its_first_three_and_last_four_digits():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138-1234-1234") == "861****1234"
    assert mask_phone("024-2378") == "*****78"
    assert mask_phone(None) is None


def test_poster_names_the_sites_people_and_shows_contacts_only_where_they_agreed(world, client):
    from pypdf import PdfReader

    company = world.org("阳光物业")
    site = world.site(company, name="长青社区")
    shy, open_ = world.officer(site), world.officer(site)
    admin = world.admin()
    client.patch(
        f"{API}/users/{shy.id}", json={"display_name": "王静", "phone": "13900001111"}, headers=world.headers(admin)
    )
    me = client.patch(
        f"{API}/me",
        json={"display_name": "赵强", "phone": "13800002222", "duties": "消防巡查", "publish_contact": True},
        headers=world.headers(open_),
    )
    assert me.status_code == 200 and me.json()["publish_contact"] is True and me.json()["duties"] == "消防巡查"

    poster = client.get(f"{API}/sites/{site.id}/poster.pdf", headers=world.headers(shy))
    assert poster.status_code == 200 and poster.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(poster.content)).pages)
    assert "长青社区" in text and "阳光物业" in text and "王静" in text and "赵强" in text
    assert "13800002222" in text and "消防巡查" in text
    assert "13900001111" not in text  # 王静 did not agree to publish her number
    assert f"/r/{code_of(world, site)}" in text
    assert client.get(f"{API}/sites/{site.id}/poster.pdf", headers=world.headers(admin)).status_code == 200
    stranger = world.officer(world.site(company))
    assert client.get(f"{API}/sites/{site.id}/poster.pdf", headers=world.headers(stranger)).status_code == 404
    staff = world.user("property", company)
    assert client.get(f"{API}/sites/{site.id}/poster.pdf", headers=world.headers(staff)).status_code == 403
