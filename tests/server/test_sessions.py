"""Sessions end: sign-out, refresh rotation with reuse detection, and password/role/activity changes."""

from __future__ import annotations

import statistics
import time

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from server.audit.models import AuditEvent
from tests.factories import PASSWORD

API = "/api/v1"


def sign_in(client, user, password=PASSWORD):
    r = client.post(f"{API}/auth/token", data={"username": user.username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_logout_ends_the_access_and_refresh_tokens_of_that_session_only(world, client):
    officer = world.officer()
    first, second = sign_in(client, officer), sign_in(client, officer)
    assert client.post(f"{API}/auth/logout", headers=bearer(first["access_token"])).status_code == 204
    assert client.get(f"{API}/me", headers=bearer(first["access_token"])).status_code == 401
    r = client.post(f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401
    assert client.get(f"{API}/me", headers=bearer(second["access_token"])).status_code == 200


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(world, client):
    officer = world.officer()
    tokens = sign_in(client, officer)
    r = client.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    rotated = r.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert client.get(f"{API}/me", headers=bearer(rotated["access_token"])).status_code == 200
    reused = client.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_reused"
    # the whole family is gone: the thief's and the owner's newest tokens alike
    assert client.get(f"{API}/me", headers=bearer(rotated["access_token"])).status_code == 401
    assert client.post(f"{API}/auth/refresh", json={"refresh_token": rotated["refresh_token"]}).status_code == 401


@pytest.mark.parametrize(
    "change", [{"password": "Another-long-pass-42"}, {"role": "admin"}, {"is_active": False}], ids=str
)
def test_password_role_or_activity_change_ends_every_earlier_token(world, client, change):
    officer = world.officer()
    tokens = sign_in(client, officer)
    admin = world.admin()
    assert client.patch(f"{API}/users/{officer.id}", json=change, headers=world.headers(admin)).status_code == 200
    assert client.get(f"{API}/me", headers=bearer(tokens["access_token"])).status_code == 401
    assert client.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_a_refresh_token_is_not_an_access_token_and_unsigned_tokens_are_refused(world, client):
    import jwt

    officer = world.officer()
    tokens = sign_in(client, officer)
    assert client.get(f"{API}/me", headers=bearer(tokens["refresh_token"])).status_code == 401
    unsigned = jwt.encode({"sub": str(officer.id), "typ": "access", "exp": 4102444800}, key=None, algorithm="none")
    assert client.get(f"{API}/me", headers=bearer(unsigned)).status_code == 401


def test_passwords_are_kept_exactly_as_typed(world, client):
    admin = world.admin()
    body = {"username": "spaced", "password": "  Leading and trailing  ", "role": "officer"}
    r = client.post(f"{API}/users", json=body, headers=world.headers(admin))
    assert r.status_code == 201, r.text
    ok = client.post(f"{API}/auth/token", data={"username": "spaced", "password": "  Leading and trailing  "})
    assert ok.status_code == 200
    stripped = client.post(f"{API}/auth/token", data={"username": "spaced", "password": "Leading and trailing"})
    assert stripped.status_code == 401


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("12345678", "password_too_weak"),
        ("password", "password_too_weak"),
        ("xx-newuser-xx", "password_is_username"),
        ("aaaaaaaaaa", "password_too_weak"),
    ],
)
def test_common_passwords_and_the_username_are_refused_with_a_chinese_sentence(world, password, code):
    admin = world.admin()
    body = {"username": "newuser", "password": password, "role": "officer"}
    chinese = TestClient(world.app, headers={"Accept-Language": "zh-CN"})
    r = chinese.post(f"{API}/users", json=body, headers=world.headers(admin))
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    assert "密码" in r.json()["detail"]


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(world, client):
    admin = world.admin()
    h = world.headers(admin)
    for change in ({"role": "officer"}, {"is_active": False}):
        r = client.patch(f"{API}/users/{admin.id}", json=change, headers=h)
        assert r.status_code == 409, r.text
        assert r.json()["code"] == "last_admin"
    other = world.admin()
    assert client.patch(f"{API}/users/{admin.id}", json={"role": "officer"}, headers=h).status_code == 200
    assert (
        client.patch(f"{API}/users/{other.id}", json={"is_active": False}, headers=world.headers(other)).status_code
        == 409
    )


def test_sign_ins_and_changes_to_oneself_leave_audit_events(world, client):
    officer = world.officer()
    tokens = sign_in(client, officer)
    client.post(f"{API}/auth/token", data={"username": officer.username, "password": "wrong-password-1"})
    r = client.patch(f"{API}/me", json={"display_name": "王队"}, headers=bearer(tokens["access_token"]))
    assert r.status_code == 200
    with world.session() as s:
        by_id = s.exec(select(AuditEvent.action).where(AuditEvent.target_id == str(officer.id))).all()
        by_name = s.exec(select(AuditEvent.action).where(AuditEvent.target_id == officer.username)).all()
    assert {"sign_in", "update_self"} <= set(by_id)
    assert "sign_in_failed" in by_name


def test_sign_in_takes_as_long_whether_or_not_the_user_exists(world, client):
    from server.security import PasswordVerifier, make_password_hasher

    # A real Argon2 cost (the suite's default is tiny), so skipping the hash would show; normal priority, so
    # other load on the machine does not stretch one side more than the other.
    hasher = world.app.state.hasher = make_password_hasher(time_cost=2, memory_kib=32768)
    world.app.state.password_verifier = PasswordVerifier(hasher, niceness=0)
    world.app.state.dummy_hash = hasher.hash("dummy-password-for-timing")
    officer = world.officer()

    def timed(username):
        start = time.perf_counter()
        r = client.post(f"{API}/auth/token", data={"username": username, "password": "Wrong-pass-123"})
        assert r.status_code in (401, 429)
        return time.perf_counter() - start

    known, unknown = [], []
    for _ in range(4):  # interleaved, so a burst of load elsewhere falls on both
        known.append(timed(officer.username))
        unknown.append(timed("nobody-by-this-name"))
    # Both verify one Argon2 hash; without the dummy hash the unknown name would take a small fraction.
    assert statistics.median(unknown) > 0.6 * statistics.median(known), (known, unknown)
