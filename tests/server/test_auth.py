"""Sign-in, tokens, throttling, /me."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import ENGLISH
from tests.factories import PASSWORD


def login(client, username, password):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_login_returns_tokens_that_open_me(world, client):
    site = world.site()
    officer = world.officer(site)
    response = login(client, officer.username, PASSWORD)
    assert response.status_code == 200
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == officer.username
    assert me.json()["role"] == "officer"
    assert me.json()["site_ids"] == [str(site.id)]


def test_refresh_token_gives_a_new_access_token_but_is_not_one(world, client):
    officer = world.officer()
    tokens = login(client, officer.username, PASSWORD).json()
    as_access = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert as_access.status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"})
    assert me.json()["id"] == str(officer.id)
    bad = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]})
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_token"


def test_wrong_password_is_401_with_a_sentence(world, client):
    officer = world.officer()
    response = login(client, officer.username, "not-the-password")
    assert response.status_code == 401
    assert response.json() == {"detail": "Wrong username or password.", "code": "bad_credentials", "params": {}}


def test_repeated_failures_slow_this_address_down_but_do_not_lock_the_owner_out(world, client):
    officer = world.officer()
    for _ in range(5):
        assert login(client, officer.username, "guess-wrong").status_code == 401
    response = login(client, officer.username, PASSWORD)
    assert response.status_code == 429
    assert response.json()["code"] == "login_slow_down"
    assert int(response.headers["Retry-After"]) >= 1
    # another account from the same address is not affected
    other = world.officer()
    assert login(client, other.username, PASSWORD).status_code == 200
    # the owner from their own address still signs in
    elsewhere = TestClient(client.app, client=("10.20.30.40", 5000), headers=ENGLISH)  # same app, no new lifespan
    assert login(elsewhere, officer.username, PASSWORD).status_code == 200


def test_no_token_and_garbage_token_are_401(client):
    assert client.get("/api/v1/me").status_code == 401
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "code", "params"}


def test_deactivated_user_cannot_use_an_old_token(world, client):
    officer = world.officer()
    headers = world.headers(officer)
    admin = world.admin()
    assert (
        client.patch(f"/api/v1/users/{officer.id}", json={"is_active": False}, headers=world.headers(admin)).status_code
        == 200
    )
    assert client.get("/api/v1/me", headers=headers).status_code == 401
