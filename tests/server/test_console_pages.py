"""The console's pages and figures through HTTP (TestClient), on SQLite and PostgreSQL: sign-in, CSRF,
scope (the one 404 page), board = API, map colours, ledger filters and exports."""

from __future__ import annotations

import csv
import io
import re
import uuid

from openpyxl import load_workbook

from server.notices.models import Notice
from tests.factories import PASSWORD


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', html).group(1)


def browser_sign_in(client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    page = client.get("/login")
    assert page.status_code == 200
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    return response


def raise_hazards(world, site, officer, fail=("gas.hose_aged",), category="gas") -> list[str]:  # type: ignore[no-untyped-def]
    body = world.inspection_body(site, category=category, fail=fail, officer=officer)
    r = world.client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer))
    assert r.status_code == 201, r.text
    return r.json()["hazard_ids"]


def test_pages_need_sign_in_and_sign_out_ends_the_session(world):
    admin = world.admin()
    assert world.client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    browser_sign_in(world.client, admin.username)
    board = world.client.get("/")
    assert board.status_code == 200 and "信息板" in board.text
    world.client.post("/logout", data={"csrf_token": csrf_of(board.text)})
    assert world.client.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_is_said_in_chinese_and_throttled_like_the_api(world):
    admin = world.admin()
    page = world.client.get("/login")
    token = csrf_of(page.text)
    world.app.state.settings.login_free_failures = 2  # then the delays (429) begin
    for _ in range(2):
        r = world.client.post("/login", data={"username": admin.username, "password": "nope", "csrf_token": token})
        assert r.status_code == 401 and "用户名或密码" in r.text
    r = world.client.post("/login", data={"username": admin.username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(world):
    org = world.org()
    site = world.site(org)
    officer = world.officer(site)
    staff = world.user("property", org)
    hazard_ids = raise_hazards(world, site, officer)
    notice = world.client.post(
        "/api/v1/notices",
        json={"organization_id": str(org.id), "hazard_ids": hazard_ids},
        headers=world.headers(officer),
    ).json()
    browser_sign_in(world.client, staff.username)
    r = world.client.post(f"/notices/{notice['id']}/acknowledge", data={})
    assert r.status_code == 403 and "表单" in r.text
    r = world.client.post(f"/notices/{notice['id']}/acknowledge", data={"csrf_token": "0" * 64})
    assert r.status_code == 403
    with world.session() as s:
        assert s.get(Notice, uuid.UUID(notice["id"])).acknowledged_at is None
    page = world.client.get(f"/notices/{notice['id']}")
    r = world.client.post(f"/notices/{notice['id']}/acknowledge", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 200 and "签收时间" in r.text
    with world.session() as s:
        assert s.get(Notice, uuid.UUID(notice["id"])).acknowledged_at is not None


def test_another_companys_hazard_is_the_same_404_page_as_a_missing_one(world):
    mine, theirs = world.org(), world.org()
    site_a, site_b = world.site(mine), world.site(theirs)
    officer = world.officer(site_a, site_b)
    own = raise_hazards(world, site_a, officer)[0]
    other = raise_hazards(world, site_b, officer)[0]
    staff = world.user("property", mine)
    browser_sign_in(world.client, staff.username)
    assert world.client.get(f"/hazards/{own}").status_code == 200
    foreign = world.client.get(f"/hazards/{other}")
    missing = world.client.get(f"/hazards/{uuid.uuid4()}")
    assert foreign.status_code == missing.status_code == 404
    # the same page, word for word, but for the address it was asked at (in the language switch's link)
    assert foreign.text.replace(str(other), "ID") == missing.text.replace(missing.url.path.split("/")[-1], "ID")


def test_board_page_shows_the_apis_figures(world):
    org = world.org()
    site = world.site(org)
    officer = world.officer(site)
    admin = world.admin()
    raise_hazards(world, site, officer, fail=("gas.hose_aged", "gas.alarm_missing") if False else ("gas.hose_aged",))
    api = world.client.get("/api/v1/board", headers=world.headers(admin)).json()
    assert sum(api["open_by_status"].values()) == 1
    assert api["raised"]["gas"][world.template("gas").items[0].severity_on_fail] >= 0
    browser_sign_in(world.client, admin.username)
    html = world.client.get("/board/fragment").text
    assert f'data-figure="open">{sum(api["open_by_status"].values())}<' in html
    assert f'data-figure="sites">{api["rounds"]["sites"]}<' in html
    # officers see their own sites only; property staff may not read the board through the API
    other = world.officer(world.site(org))
    assert sum(world.client.get("/api/v1/board", headers=world.headers(other)).json()["open_by_status"].values()) == 0
    staff = world.user("property", org)
    assert world.client.get("/api/v1/board", headers=world.headers(staff)).status_code == 403


def test_map_colours_each_site_by_its_worst_open_hazard(world):
    org = world.org()
    quiet, busy = world.site(org), world.site(org)
    officer = world.officer(quiet, busy)
    admin = world.admin()
    gas = world.template("gas")
    items = {i.severity_on_fail: i.id for i in gas.items_for(busy.profile)}
    raise_hazards(world, busy, officer, fail=tuple(items.values()))
    fc = world.client.get("/api/v1/map.geojson", headers=world.headers(admin)).json()
    props = {f["properties"]["site_id"]: f["properties"] for f in fc["features"]}
    worst = next(s for s in ("red", "yellow", "blue") if s in items)
    assert props[str(busy.id)]["worst_severity"] == worst
    assert props[str(busy.id)]["open_count"] == len(items)
    assert props[str(quiet.id)]["worst_severity"] is None and props[str(quiet.id)]["open_count"] == 0
    only_late = world.client.get("/api/v1/map.geojson", params={"overdue": True}, headers=world.headers(admin)).json()
    assert only_late["features"] == []


def test_ledger_filters_and_exports_exactly_the_filtered_rows(world):
    org = world.org()
    a, b = world.site(org), world.site(org)
    officer = world.officer(a, b)
    admin = world.admin()
    gas_items = [i.id for i in world.template("gas").items_for(a.profile)][:3]
    raise_hazards(world, a, officer, fail=tuple(gas_items))
    raise_hazards(world, b, officer, fail=(gas_items[0],))
    browser_sign_in(world.client, admin.username)
    page = world.client.get("/ledger", params={"site_id": str(a.id)})
    assert page.status_code == 200 and page.text.count('class="ledger-row"') == len(gas_items)
    xlsx = world.client.get("/ledger/export.xlsx", params={"site_id": str(a.id)})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("序号", "隐患编号", "排查时间")
    assert len(rows) - 2 == len(gas_items)
    assert all(r[3] == a.name for r in rows[2:])
    csv_body = world.client.get("/ledger/export.csv", params={"site_id": str(a.id)}).content
    assert csv_body.startswith("\ufeff".encode())
    assert len(list(csv.reader(io.StringIO(csv_body.decode("utf-8-sig"))))) == 1 + len(gas_items)
    api = world.client.get("/api/v1/hazards/export.csv", headers=world.headers(admin))
    assert len(list(csv.reader(io.StringIO(api.content.decode("utf-8-sig"))))) == 1 + len(gas_items) + 1


def test_english_switch_and_every_page_renders(world):
    org = world.org()
    site = world.site(org)
    officer = world.officer(site)
    hazard = raise_hazards(world, site, officer)[0]
    admin = world.admin()
    browser_sign_in(world.client, admin.username)
    for path in (
        "/",
        "/map",
        "/ledger",
        "/notices",
        f"/hazards/{hazard}",
        f"/sites/{site.id}",
        "/rounds",
        "/trainings",
    ):
        assert world.client.get(path).status_code == 200, path
    world.client.get("/lang/en")
    assert "Board" in world.client.get("/").text


def test_board_drills_down_to_a_street_and_a_site(world):
    org = world.org()
    here, there = world.site(org), world.site(org)
    officer = world.officer(here, there)
    admin = world.admin()
    raise_hazards(world, here, officer)
    raise_hazards(world, there, officer, fail=tuple(i.id for i in world.template("gas").items_for(there.profile)[:2]))
    api = lambda **p: world.client.get("/api/v1/board", params=p, headers=world.headers(admin)).json()  # noqa: E731
    whole = sum(api()["open_by_status"].values())
    assert sum(api(site_id=str(here.id))["open_by_status"].values()) == 1
    assert sum(api(site_id=str(there.id))["open_by_status"].values()) == whole - 1 == 2
    assert sum(api(street="五三街道")["open_by_status"].values()) == whole
    assert sum(api(street="没有这条街道")["open_by_status"].values()) == 0
    browser_sign_in(world.client, admin.username)
    html = world.client.get("/", params={"street": "五三街道", "site_id": str(here.id)}).text
    assert 'data-figure="open">1<' in html and here.name in html


def test_unknown_console_addresses_get_the_404_page_and_the_api_keeps_json(world):
    admin = world.admin()
    browser_sign_in(world.client, admin.username)
    page = world.client.get("/no/such/page")
    assert page.status_code == 404 and "404" in page.text and "<html" in page.text
    api = world.client.get("/api/v1/no/such/thing")
    assert api.status_code == 404 and api.json()["code"] == "no_such_path"
