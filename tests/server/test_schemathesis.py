"""schemathesis over the whole API, as an admin and as an officer, against a live server: no server error,
and every answer matches the documented schema and status codes. The example count is bounded
(SCHEMATHESIS_EXAMPLES, default 8 per operation) so `make test` stays quick; raise it for a deeper run."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from server import security
from tests.live_server import LiveServer

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer.start(tmp_path_factory.mktemp("schemathesis") / "data")
    yield server
    server.stop()


def tokens(server: LiveServer) -> dict[str, str]:
    """Tokens outside any session, so a generated POST /auth/logout cannot end them mid-run."""
    admin = server.admin()
    site = admin.site(admin.org())
    officer = admin.officer([site])
    admin_id = admin.client.get("/me").json()["id"]
    secret = server.env["SAFEROUND_SECRET_KEY"]

    def mint(user_id: str) -> str:
        import uuid

        return security.create_token(
            secret=secret, user_id=uuid.UUID(user_id), kind="access", lifetime=timedelta(hours=2)
        )

    return {"admin": mint(admin_id), "officer": mint(officer.id)}


def _documented_schema() -> dict:
    """The OpenAPI the server publishes (building it needs no database)."""
    from server.config import Settings
    from server.main import create_app

    return create_app(Settings(secret_key="schema-only-" + "k" * 32)).openapi()


schema = schemathesis.openapi.from_dict(_documented_schema())
schema.config.checks.update(
    included_check_names=[
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


@pytest.fixture(scope="module")
def callers(live):
    return tokens(live)


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def call(case, live, token: str) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(base_url=live.url, headers={"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"})


@schema.parametrize()
@SETTINGS
def test_the_api_never_errs_and_answers_as_documented_to_an_admin(case, live, callers):
    call(case, live, callers["admin"])


@schema.parametrize()
@SETTINGS
def test_the_api_never_errs_and_answers_as_documented_to_an_officer(case, live, callers):
    call(case, live, callers["officer"])
