"""What a coordinator, an officer and a property company do in the console, checked against the API."""

from __future__ import annotations

import io
import uuid

import pytest
from openpyxl import load_workbook

from rulebook.categories import SEVERITIES
from rulebook.lifecycle import OPEN_STATUSES
from tests.factories import small_jpeg
from tests.web.conftest import shot, sign_in

pytestmark = pytest.mark.web
COLOURS = {"red": "#d32f2f", "yellow": "#f9a825", "blue": "#1e63c4", None: "#9e9e9e"}


def organizations(server) -> list[dict]:  # type: ignore[no-untyped-def]
    return server.client("admin").get("/organizations", params={"limit": 500}).json()["items"]


def all_hazards(api, **params) -> list[dict]:  # type: ignore[no-untyped-def]
    items, cursor = [], None
    while True:
        page = api.get("/hazards", params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})}).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_board_numbers_equal_the_api(browser, server):
    page = sign_in(browser, server, "admin")
    board = server.client("admin").get("/board").json()
    figure = lambda name: int(page.inner_text(f"[data-figure={name}]"))  # noqa: E731
    assert figure("open") == sum(board["open_by_status"].values()) > 0
    assert figure("overdue-1") == board["overdue_by_level"]["1"]
    assert figure("overdue-2") == board["overdue_by_level"]["2"]
    assert figure("awaiting") == board["open_by_status"]["awaiting_verification"]
    assert figure("unsigned") == board["notices_unacknowledged_48h"]
    for severity in SEVERITIES:
        assert figure(f"raised-{severity}") == sum(by[severity] for by in board["raised"].values())
    assert figure("sites") == board["rounds"]["sites"] == 60
    assert figure("sites-complete") == board["rounds"]["sites_complete"]
    assert figure("trainings") == board["trainings"]["sessions"]
    # and the open count is what the hazard list says
    open_hazards = all_hazards(server.client("admin"), status=list(OPEN_STATUSES))
    assert figure("open") == len(open_hazards)
    page.context.close()


def test_map_colours_each_site_by_its_worst_open_hazard(browser, server):
    page = sign_in(browser, server, "admin")
    page.goto(f"{server.url}/map")
    page.wait_for_selector("#map[data-ready='1']")
    api = server.client("admin")
    sites = api.get("/sites", params={"limit": 500}).json()["items"]
    worst: dict[str, str | None] = {site["id"]: None for site in sites}
    for hazard in all_hazards(api, status=list(OPEN_STATUSES)):
        current = worst[hazard["site_id"]]
        if current is None or SEVERITIES.index(hazard["severity"]) < SEVERITIES.index(current):
            worst[hazard["site_id"]] = hazard["severity"]
    drawn = page.eval_on_selector_all(
        "path.site-point", "els => els.map(e => [e.getAttribute('class'), e.getAttribute('fill')])"
    )
    assert len(drawn) == len(worst) == 60
    seen = set()
    for classes, fill in drawn:
        site_id = next(c[5:] for c in classes.split() if c.startswith("site-") and c != "site-point")
        assert fill == COLOURS[worst[site_id]], (site_id, fill, worst[site_id])
        seen.add(worst[site_id])
    assert {"red", None} <= seen  # the demo district has both kinds
    page.context.close()


def test_filtered_ledger_exports_exactly_its_rows(browser, server):
    page = sign_in(browser, server, "admin")
    page.goto(f"{server.url}/ledger")
    page.select_option("select[name=street]", "五三街道")
    page.select_option("select[name=status]", "closed")
    page.click("#ledger-filter button[type=submit]")
    page.wait_for_url("**/ledger?**")
    total = int(page.inner_text("[data-figure=ledger-total]"))
    assert 0 < total
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == total
    assert {r[4] for r in rows} == {"五三街道"} and {r[17] for r in rows} == {"已销号"}
    assert sheet.freeze_panes == "A3"
    page.context.close()


def test_property_user_acknowledges_and_submits_evidence_the_officer_sees_it(browser, server):
    officer = server.client("zhangwei")
    me = officer.get("/me").json()
    anju_org = next(o for o in organizations(server) if o["name"].startswith("沈阳安居"))
    hazard = next(
        h
        for h in all_hazards(officer, status=["open"])
        if h["organization_id"] == anju_org["id"] and h["site_id"] in me["site_ids"]
    )
    notice = officer.post("/notices", json={"organization_id": anju_org["id"], "hazard_ids": [hazard["id"]]}).json()

    page = sign_in(browser, server, "anju")
    page.goto(f"{server.url}/notices/{notice['id']}")
    page.click("#acknowledge button")
    page.wait_for_selector("#acknowledged:not(:has-text('未签收'))")
    page.goto(f"{server.url}/hazards/{hazard['id']}")
    form = page.locator("form[data-action=submit_evidence]")
    form.locator("input[name=note]").fill("已更换燃气软管")
    form.locator("input[type=file]").set_input_files(
        {"name": "fixed.jpg", "mimeType": "image/jpeg", "buffer": small_jpeg()}
    )
    form.locator("button").click()
    page.wait_for_selector("[data-status=awaiting_verification]")

    seen = officer.get(f"/hazards/{hazard['id']}").json()
    assert seen["status"] == "awaiting_verification"
    assert len(seen["photos"]["rectification"]) == 1
    assert [h["action"] for h in seen["history"]][-2:] == ["acknowledge", "submit_evidence"]
    assert officer.get(f"/notices/{notice['id']}").json()["acknowledged_at"] is not None
    page.context.close()


def test_a_post_without_its_csrf_token_is_refused(browser, server):
    page = sign_in(browser, server, "anju")
    notice = server.client("anju").get("/notices", params={"acknowledged": False}).json()["items"]
    target = notice[0]["id"] if notice else str(uuid.uuid4())
    status = page.evaluate(
        "async url => (await fetch(url, {method: 'POST', body: new URLSearchParams({})})).status",
        f"{server.url}/notices/{target}/acknowledge",
    )
    assert status == 403
    if notice:
        assert server.client("anju").get(f"/notices/{target}").json()["acknowledged_at"] is None
    page.context.close()


def test_another_companys_hazard_is_the_404_page(browser, server):
    yijia_org = next(o for o in organizations(server) if o["name"].startswith("盛京宜家"))
    theirs = all_hazards(server.client("admin"), organization_id=yijia_org["id"])[0]
    page = sign_in(browser, server, "anju")
    response = page.goto(f"{server.url}/hazards/{theirs['id']}")
    assert response.status == 404
    text_theirs = page.inner_text("main")
    response = page.goto(f"{server.url}/hazards/{uuid.uuid4()}")
    assert response.status == 404 and page.inner_text("main") == text_theirs
    assert "404" in text_theirs
    page.context.close()


def test_bulk_import_dry_run_reports_the_bad_row_and_writes_nothing(browser, server, tmp_path):
    admin = server.client("admin")
    sites_before = len(admin.get("/sites", params={"limit": 500}).json()["items"])
    page = sign_in(browser, server, "admin")
    template = page.request.get(f"{server.url}/admin/import/template.xlsx").body()
    workbook = load_workbook(io.BytesIO(template))
    workbook["社区（村）"].append(["导入测试社区", "小区", "浑南区", "五三街道", "9号", 41.7, 123.4])
    path = tmp_path / "import.xlsx"
    workbook.save(path)
    page.goto(f"{server.url}/admin")
    page.set_input_files("input[name=file]", str(path))
    page.select_option("select[name=mode]", "dry_run")
    page.click("form[action='/admin/import'] button")
    page.wait_for_selector("#import-problems")
    problem = page.locator("tr.problem[data-row='3']")
    assert problem.count() >= 1 and "B" in problem.first.inner_text()
    assert len(admin.get("/sites", params={"limit": 500}).json()["items"]) == sites_before
    page.context.close()


PAGES = ["/", "/map", "/ledger", "/notices", "/rounds", "/trainings", "/admin"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_screenshots_of_every_page(browser, server, lang):
    api = server.client("admin")
    hazard = all_hazards(api, status=["awaiting_verification"])[0]
    notice = api.get("/notices").json()["items"][0]
    pages = {
        "board": "/",
        "map": "/map",
        "ledger": "/ledger",
        "hazard": f"/hazards/{hazard['id']}",
        "notices": "/notices",
        "notice": f"/notices/{notice['id']}",
        "site": f"/sites/{hazard['site_id']}",
        "rounds": "/rounds",
        "trainings": "/trainings",
        "admin": "/admin",
        "reports": "/reports?period=2026-Q3",
        "deliveries": "/admin/deliveries",
        "not-found": f"/hazards/{uuid.uuid4()}",
    }
    page = sign_in(browser, server, "admin", lang)
    for name, path in pages.items():
        page.goto(f"{server.url}{path}")
        if name == "map":
            page.wait_for_selector("#map[data-ready='1']")
        if name == "reports":  # the three charts are drawn
            page.wait_for_selector("#chart-companies[data-ready='1']")
            assert page.locator("#chart-categories[data-ready='1']").count() == 1
        assert ("信息板" if lang == "zh" else "Board") in page.inner_text("header")
        shot(page, name, lang)
    page.context.close()
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    login = context.new_page()
    if lang == "en":
        login.goto(f"{server.url}/lang/en")
    login.goto(f"{server.url}/login")
    shot(login, "login", lang)
    context.close()
    phone = sign_in(browser, server, "anju", lang)
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{server.url}/notices?acknowledged=0")
    shot(phone, "notices-phone", lang, full_page=False)  # the first screen, as a phone shows it
    phone.context.close()
