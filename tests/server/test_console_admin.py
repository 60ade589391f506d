"""Administration in the browser: the import template, a dry run that lists problems by row and column and
writes nothing, an all-or-nothing apply through the admin services; user deactivation ends the session."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlmodel import select

from server.sites.models import Assignment, Site
from server.users.models import Organization, User
from tests.server.test_console_pages import browser_sign_in, csrf_of


def filled_template(client, bad_row: bool) -> bytes:  # type: ignore[no-untyped-def]
    workbook = load_workbook(io.BytesIO(client.get("/admin/import/template.xlsx").content))
    sites = workbook["社区（村）"]
    sites.append(["第二示例社区", "社区", "浑南区", "五三街道", "2号", 41.75, 123.46, "安居物业", *["否"] * 6, 3, 200])
    if bad_row:
        sites.append(["坏社区", "小区", "浑南区", "五三街道", "3号", 141.0, 123.4, "没有这家物业"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def post_import(client, content: bytes, mode: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/admin").text)
    return client.post(
        "/admin/import",
        data={"mode": mode, "csrf_token": token},
        files={"file": ("import.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
    )


def counts(world) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    with world.session() as s:
        return tuple(len(s.exec(select(m)).all()) for m in (Organization, Site, User, Assignment))


def test_dry_run_names_the_bad_row_and_column_and_apply_writes_all_or_nothing(world):
    admin = world.admin()
    browser_sign_in(world.client, admin.username)
    before = counts(world)
    bad = filled_template(world.client, bad_row=True)
    r = post_import(world.client, bad, "dry_run")
    assert r.status_code == 422
    assert 'data-row="4" data-column="B"' in r.text  # 类型 “小区”
    assert 'data-row="4" data-column="F"' in r.text  # 纬度 141
    assert 'data-row="4" data-column="H"' in r.text  # unknown company
    assert counts(world) == before
    r = post_import(world.client, bad, "apply")  # a file with problems is refused whole
    assert r.status_code == 422 and counts(world) == before
    good = filled_template(world.client, bad_row=False)
    r = post_import(world.client, good, "dry_run")
    assert r.status_code == 200 and counts(world) == before
    r = post_import(world.client, good, "apply")
    assert r.status_code == 200, r.text
    assert counts(world) == (before[0] + 1, before[1] + 2, before[2] + 1, before[3] + 1)
    with world.session() as s:
        wang = s.exec(select(User).where(User.username == "wangfang")).one()
        assert wang.role == "officer"
    r = post_import(world.client, good, "dry_run")  # the same file again: every row is now a duplicate
    assert r.status_code == 422 and counts(world)[1] == before[1] + 2


def test_admin_creates_and_deactivates_a_user_whose_session_then_ends(world):
    from fastapi.testclient import TestClient

    admin = world.admin()
    browser_sign_in(world.client, admin.username)
    token = csrf_of(world.client.get("/admin").text)
    r = world.client.post(
        "/admin/users",
        data={"csrf_token": token, "username": "newofficer", "password": "long-enough-1", "role": "officer"},
    )
    assert r.status_code == 200 and "newofficer" in r.text
    other = TestClient(world.app)  # a second browser on the same server (its lifespan is the first client's)
    browser_sign_in(other, "newofficer", "long-enough-1")
    assert other.get("/").status_code == 200
    with world.session() as s:
        new_id = s.exec(select(User.id).where(User.username == "newofficer")).one()
    r = world.client.post(f"/admin/users/{new_id}", data={"csrf_token": token, "change": "deactivate"})
    assert r.status_code == 200
    assert other.get("/", follow_redirects=False).status_code == 303
    officer = world.user("officer")
    browser_sign_in(world.client, officer.username)
    assert world.client.get("/admin").status_code == 404
