"""The site poster's QR code, read off the printed page, opens the site's public report page in a phone
browser (Debian's Chromium), where a resident files a report and gets a tracking code. The poster's PNG:
test-artifacts/console/poster.png."""

from __future__ import annotations

import subprocess

import zxingcpp
from PIL import Image

from tests.factories import small_jpeg
from tests.web.conftest import SHOTS


def test_poster_qr_code_opens_the_report_form_and_a_resident_gets_a_tracking_code(server, browser, tmp_path):
    officer = server.client("zhangwei")
    site_id = officer.get("/me").json()["site_ids"][0]
    site_name = officer.get(f"/sites/{site_id}").json()["name"]
    poster = officer.get(f"/sites/{site_id}/poster.pdf")
    assert poster.status_code == 200 and poster.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(poster.content)
    subprocess.run(["pdftoppm", "-r", "120", "-png", "-singlefile", str(pdf), str(tmp_path / "poster")], check=True)
    png = SHOTS / "poster.png"
    png.write_bytes((tmp_path / "poster.png").read_bytes())

    codes = zxingcpp.read_barcodes(Image.open(png))
    assert len(codes) == 1, "the poster carries one QR code"
    url = codes[0].text
    assert url.startswith(f"{server.url}/r/") and site_id not in url  # an unguessable code, not the site's id

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    page.goto(url)
    assert site_name in page.inner_text("h1")
    assert page.is_visible("text=问题类别") and page.is_visible("text=问题描述")
    page.select_option("select[name=category]", "ebike")
    page.fill("textarea[name=description]", "地下车库有人给电动车飞线充电")
    photo = tmp_path / "scene.jpg"
    photo.write_bytes(small_jpeg())
    page.set_input_files("input[name=photos]", [str(photo)])
    page.fill("input[name=phone]", "13912345678")
    page.screenshot(path=str(SHOTS / "public-report-zh.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_selector("#tracking-code")
    tracking = page.inner_text("#tracking-code").strip()
    assert len(tracking) == 12 and tracking.isalnum()
    page.screenshot(path=str(SHOTS / "public-submitted-zh.png"), full_page=True)
    page.click("text=查看进度")
    assert "已受理" in page.inner_text("#status")
    context.close()

    queued = officer.get("/intake/reports", params={"site_id": site_id}).json()["items"]
    assert [r["tracking_code"] for r in queued if r["source"] == "resident"] == [tracking]
    assert queued[0]["reporter_phone"] == "13912345678" and len(queued[0]["photo_ids"]) == 1
