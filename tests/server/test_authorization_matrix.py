"""Every operation in the OpenAPI × fourteen kinds of caller, with the answer each must get, on both
databases: broken or ended tokens 401 everywhere; admin operations 403 to everyone else; records of
site A answer 200 to those who may see them and 404 (as missing) to those who may not; never a 500."""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
import pytest

from server import security
from server.deps import gridworker_may_call
from tests.factories import PASSWORD
from tests.server.test_remediation import raise_hazard

API = "/api/v1"
# Not behind a bearer token: sign-in, refresh, health, and the hotline intake (signed per integration,
# tests/server/test_intake_external.py).
PUBLIC = {
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/refresh"),
    ("get", "/api/v1/health"),
    ("post", "/api/v1/intake/external"),
}
BROKEN = ("anonymous", "deactivated", "before_password_change", "refresh_as_access", "expired", "alg_none")
VALID = ("admin", "officer_in", "officer_out", "property_a", "property_b", "gridworker_in", "gridworker_out")
# Records of site A: who sees them (200); everyone else valid gets 404, as if they did not exist.
RECORDS = {
    "/api/v1/sites/{site_id}": {"admin", "officer_in", "property_a", "gridworker_in"},  # grid workers: their sites
    "/api/v1/hazards/{hazard_id}": {"admin", "officer_in", "property_a"},
    "/api/v1/notices/{notice_id}": {"admin", "officer_in", "property_a"},
    "/api/v1/notices/{notice_id}.pdf": {"admin", "officer_in", "property_a"},
    "/api/v1/inspections/{inspection_id}": {"admin", "officer_in"},  # fieldwork is not shown to companies
    "/api/v1/photos/{photo_id}": {"admin", "officer_in", "property_a"},
    # A grid worker's report at site A: its reporter, the site's officer and the coordinators (companies: 403).
    "/api/v1/intake/reports/{report_id}": {"admin", "officer_in", "gridworker_in"},
}
NO_QUEUE = {"property_a", "property_b"}  # companies have no intake queue: 403 whatever the record


@pytest.fixture
def matrix_world(world, client):
    company_a, company_b = world.org(), world.org()
    site_a, site_b = world.site(company_a), world.site(company_b)
    officer_in, officer_out = world.officer(site_a), world.officer(site_b)
    hazard_id = raise_hazard(world, client, officer_in, site_a)
    inspection_id = next(
        i["id"] for i in client.get(f"{API}/inspections", headers=world.headers(officer_in)).json()["items"]
    )
    photo_id = client.get(f"{API}/hazards/{hazard_id}", headers=world.headers(officer_in)).json()["photo_ids"][0]
    notice = client.post(
        f"{API}/notices",
        json={"organization_id": str(company_a.id), "hazard_ids": [hazard_id]},
        headers=world.headers(officer_in),
    ).json()
    site_c = world.site(company_a)
    gridworker_in, gridworker_out = world.gridworker(site_a), world.gridworker(site_c)
    report = client.put(
        f"{API}/intake/reports/{uuid.uuid4()}",
        json={"site_id": str(site_a.id), "category": "gas", "description": "燃气味"},
        headers=world.headers(gridworker_in),
    )
    assert report.status_code == 201, report.text
    admin = world.admin()
    world.admin()  # a second admin, so nothing here is refused as the last one

    def token_for(user) -> str:  # type: ignore[no-untyped-def]
        return world.headers(user)["Authorization"].removeprefix("Bearer ")

    deactivated = world.officer(site_a)
    client.patch(f"{API}/users/{deactivated.id}", json={"is_active": False}, headers=world.headers(admin))
    changed = world.officer(site_a)
    signed = client.post(f"{API}/auth/token", data={"username": changed.username, "password": PASSWORD}).json()
    client.patch(f"{API}/users/{changed.id}", json={"password": "Fresh-harbour-77"}, headers=world.headers(admin))
    secret = world.app.state.token_secret
    tokens = {
        "anonymous": None,
        "deactivated": token_for(deactivated),
        "before_password_change": signed["access_token"],
        "refresh_as_access": client.post(
            f"{API}/auth/token", data={"username": officer_in.username, "password": PASSWORD}
        ).json()["refresh_token"],
        "expired": security.create_token(
            secret=secret, user_id=officer_in.id, kind="access", lifetime=timedelta(seconds=-60)
        ),
        "alg_none": jwt.encode(
            {"sub": str(admin.id), "typ": "access", "exp": 4102444800, "gen": 0}, key=None, algorithm="none"
        ),
        "admin": token_for(admin),
        "officer_in": token_for(officer_in),
        "officer_out": token_for(officer_out),
        "property_a": token_for(world.user("property", org=company_a)),
        "property_b": token_for(world.user("property", org=company_b)),
        "gridworker_in": token_for(gridworker_in),
        "gridworker_out": token_for(gridworker_out),
    }
    ids = {
        "site_id": site_a.id,
        "hazard_id": hazard_id,
        "inspection_id": inspection_id,
        "notice_id": notice["id"],
        "photo_id": photo_id,
        "user_id": officer_in.id,
        "organization_id": company_a.id,
        "category": "gas",
        "report_id": report.json()["id"],
    }
    return tokens, ids


def operations(client) -> list[tuple[str, str, dict]]:
    schema = client.get(f"{API}/openapi.json").json()
    return [(m, p, op) for p, ops in schema["paths"].items() for m, op in ops.items()]


def call(client, method: str, path: str, ids: dict, token: str | None):  # type: ignore[no-untyped-def]
    url = path
    for name in [part[1:-1] for part in path.replace(".pdf", "").split("/") if part.startswith("{")]:
        url = url.replace("{" + name + "}", str(ids.get(name, uuid.uuid4())))  # unknown ids: fresh, missing
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method in ("get", "delete"):
        return client.request(method.upper(), url, headers=headers)
    return client.request(method.upper(), url, headers=headers, json={})


def expected(method: str, path: str, op: dict, caller: str) -> set[int]:
    if caller in BROKEN:
        return {401}
    if "admin" in op.get("tags", []):
        return {403} if caller != "admin" else {200, 201, 204, 404, 409, 422}
    if caller.startswith("gridworker") and not gridworker_may_call(method.upper(), path):
        return {403}  # a grid worker files reports and follows their own: nothing else
    if method == "get" and path == "/api/v1/intake/reports/{report_id}" and caller in NO_QUEUE:
        return {403}
    if method == "get" and path in RECORDS:
        return {200} if caller in RECORDS[path] else {404}
    return {200, 201, 204, 403, 404, 409, 412, 415, 422}  # the rest: any honest answer, never 401 or 500


def test_every_operation_by_every_caller(client, matrix_world):
    tokens, ids = matrix_world
    wrong = []
    ops = [(m, p, op) for m, p, op in operations(client) if (m, p) not in PUBLIC]
    assert len(ops) >= 35 and set(RECORDS) <= {p for _, p, _ in ops}
    for caller in (*BROKEN, *VALID):
        for method, path, op in ops:
            r = call(client, method, path, ids, tokens[caller])
            if r.status_code not in expected(method, path, op, caller):
                wrong.append(f"{caller:>24} {method.upper():6} {path}: {r.status_code} {r.text[:120]}")
    assert not wrong, "\n" + "\n".join(wrong)
