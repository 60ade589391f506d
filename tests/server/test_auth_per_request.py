"""The signed-in user is read once per request, in the request's own session and connection — and still on
every request, so a password change, a deactivation or a sign-out ends access at the very next one."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event

from tests.server.test_sessions import API, bearer, sign_in


def count_checkouts_and_statements(engine):  # type: ignore[no-untyped-def]
    seen = {"checkouts": 0, "statements": []}

    def on_checkout(*_args):  # type: ignore[no-untyped-def]
        seen["checkouts"] += 1

    def on_statement(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        seen["statements"].append(statement)

    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "before_cursor_execute", on_statement)
    return seen


def test_a_signed_in_request_takes_one_connection_and_one_query_for_its_user(world, client):
    officer = world.officer(world.site(world.org()))
    tokens = sign_in(client, officer)
    seen = count_checkouts_and_statements(client.app.state.engine)
    me = client.get(f"{API}/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.json()["username"] == officer.username
    assert seen["checkouts"] == 1
    reads_of_the_session = [s for s in seen["statements"] if "auth_session" in s]
    assert len(reads_of_the_session) == 1 and " JOIN auth_session " in reads_of_the_session[0]  # with the user


def test_access_ends_at_the_next_request_after_a_password_change_deactivation_or_sign_out(world, client):
    admin_tokens = sign_in(client, world.admin())
    changed, deactivated, signed_out = world.officer(), world.officer(), world.officer()
    tokens = {user.id: sign_in(client, user)["access_token"] for user in (changed, deactivated, signed_out)}
    for user in (changed, deactivated, signed_out):  # each token works, right before the change
        assert client.get(f"{API}/me", headers=bearer(tokens[user.id])).status_code == 200
    admin = bearer(admin_tokens["access_token"])
    assert client.patch(
        f"{API}/users/{changed.id}", json={"password": "Another-long-pass-42"}, headers=admin
    ).is_success
    assert client.patch(f"{API}/users/{deactivated.id}", json={"is_active": False}, headers=admin).is_success
    assert client.post(f"{API}/auth/logout", headers=bearer(tokens[signed_out.id])).status_code == 204
    for user in (changed, deactivated, signed_out):
        refused = client.get(f"{API}/me", headers=bearer(tokens[user.id]))
        assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_request_reads_without_a_transaction_and_writes_inside_one(world, client):
    """Reads in autocommit (no BEGIN and ROLLBACK round trips: READ COMMITTED gives each statement its own
    snapshot either way); the inspection it saves is still one transaction, hazards and all."""
    site = world.site(world.org())
    officer = world.officer(site)
    seen = []

    def on_statement(conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        seen.append((statement.split()[0], conn.connection.dbapi_connection.autocommit))

    event.listen(client.app.state.engine, "before_cursor_execute", on_statement)
    assert client.get(f"{API}/sites", headers=world.headers(officer)).status_code == 200
    assert seen and all(autocommit for _verb, autocommit in seen), seen
    seen.clear()
    item = world.template("gas").items_for(site.profile)[0].id
    body = world.inspection_body(site, "gas", fail=(item,))
    saved = client.put(f"{API}/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer))
    assert saved.status_code == 201 and saved.json()["hazard_ids"], saved.text
    writes = [autocommit for verb, autocommit in seen if verb in ("INSERT", "UPDATE", "DELETE")]
    assert writes and not any(writes), seen  # every write inside the unit's transaction
