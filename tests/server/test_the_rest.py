"""The rest of the hardening list: secrets, file modes, request ids, headers, local docs, the error shape."""

from __future__ import annotations

import stat
import uuid

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlmodel import select

from server.audit.models import AuditEvent
from server.config import Settings, WeakSecret
from server.main import create_app
from tests.conftest import ENGLISH

API = "/api/v1"


def test_a_secret_key_under_32_bytes_refuses_to_start(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="x")
    with pytest.raises(WeakSecret, match="32"):
        with TestClient(create_app(settings)):
            pass


def test_the_generated_secret_and_the_database_file_are_0600(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", argon2_time_cost=1, argon2_memory_kib=1024)
    from server.db import migrate

    migrate(settings.resolved_database_url)
    with TestClient(create_app(settings)) as client:
        assert client.get(f"{API}/health").status_code == 200
    for name in ("secret_key", "saferound.db"):
        mode = stat.S_IMODE((settings.data_dir / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))


def test_the_server_makes_the_request_id_and_keeps_the_clients_apart(world, client):
    admin = world.admin()
    r = client.post(
        f"{API}/organizations",
        json={"name": "审计公司", "kind": "property"},
        headers={**world.headers(admin), "X-Request-ID": "client-chosen-1"},
    )
    assert r.status_code == 201
    server_id = r.headers["X-Request-ID"]
    assert server_id != "client-chosen-1" and len(server_id) == 32
    with world.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.target_id == r.json()["id"])).one()
    assert event.request_id == server_id and event.client_request_id == "client-chosen-1"


def test_a_500_keeps_its_request_id_in_header_and_body(settings):
    app = create_app(settings)
    boom = APIRouter()

    @boom.get("/api/v1/boom")
    def explode() -> None:
        raise RuntimeError("boom")

    app.include_router(boom)
    with TestClient(app, headers=ENGLISH, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/boom")
    assert r.status_code == 500
    assert r.json()["code"] == "internal_error"
    assert r.headers["X-Request-ID"] == r.json()["params"]["request_id"]
    assert r.json()["params"]["request_id"] in r.json()["detail"]


def test_security_headers_and_no_store_on_signed_in_json(world, client):
    officer = world.officer(world.site())
    r = client.get(f"{API}/me", headers=world.headers(officer))
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"
    docs = client.get("/docs")
    assert "default-src 'self'" in docs.headers["Content-Security-Policy"]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_load_their_assets_from_saferound_itself(client, page):
    html = client.get(page).text
    assert "cdn" not in html.lower() and "googleapis" not in html
    for asset in (
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
        "/docs/assets/redoc.standalone.js",
    ):
        if asset in html:
            r = client.get(asset)
            assert r.status_code == 200 and len(r.content) > 10_000
    assert "/docs/assets/" in html


def test_openapi_documents_the_real_error_shape_and_each_operations_4xx(client):
    schema = client.get(f"{API}/openapi.json").json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "code", "params"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    transition = schema["paths"]["/api/v1/hazards/{hazard_id}/transitions/{transition_id}"]["put"]["responses"]
    assert {"401", "403", "404", "409", "412", "422"} <= set(transition)
    assert transition["422"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"
    # and the server answers that shape
    r = client.put(f"{API}/hazards/{uuid.uuid4()}/transitions/{uuid.uuid4()}", json={})
    assert set(r.json()) == {"detail", "code", "params"}
