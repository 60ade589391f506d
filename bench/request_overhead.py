"""What a small API request costs beyond its SQL: GET /api/v1/hazards?limit=20 (an officer's first page of 20)
against replaying the very SQL statements that request issued on one raw database connection.

Two ways of loading the signed-in user, timed in the same run: "before" (a second session of its own per
request, user and auth session read in two queries — the old server/deps.py, kept here) and "after" (the
request's own session, one query). The figure is API time ÷ raw SQL time for each (lower is better), and
after ÷ before. Runs on a SQLite file and, when its binaries are installed, on a throwaway PostgreSQL."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from server import security  # noqa: E402
from server.config import Settings  # noqa: E402
from server.deps import get_current_user, oauth2_scheme  # noqa: E402
from server.errors import Unauthorized  # noqa: E402
from server.main import create_app  # noqa: E402
from server.users.models import AuthSession, User  # noqa: E402
from tests.conftest import _prepare  # noqa: E402
from tests.factories import PASSWORD, World  # noqa: E402
from tests.pg import PostgresServer  # noqa: E402

PAGE = "/api/v1/hazards?limit=20"


def before_get_current_user(request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]) -> User:
    """The old way: a short session of its own, two reads, closed before the route opens another."""
    if not token:
        raise Unauthorized("not_authenticated")
    claims = security.read_claims(secret=request.app.state.token_secret, token=token, kind="access")
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        user = session.get(User, claims.user_id) if claims else None
        auth = session.get(AuthSession, claims.session_id) if claims and claims.session_id else None
    if user is None or not user.is_active or user.token_generation != claims.generation:
        raise Unauthorized("invalid_token")
    if claims.session_id is not None and (auth is None or auth.revoked_at is not None):
        raise Unauthorized("invalid_token")
    request.state.auth_session_id = claims.session_id
    return user


def capture_sql(engine, fn):  # type: ignore[no-untyped-def]
    seen: list[tuple[str, object]] = []

    def note(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def replay_seconds(engine, statements, rounds: int) -> float:  # type: ignore[no-untyped-def]
    """Median time to run the statements on one raw DBAPI connection (no ORM, no HTTP)."""
    raw = engine.raw_connection()
    times = []
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            cursor = raw.cursor()
            for statement, parameters in statements:
                if statement.startswith("BEGIN"):  # SQLite's explicit BEGIN: end the previous session's read
                    raw.rollback()
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            cursor.close()
            raw.rollback()
            times.append(time.perf_counter() - start)
    finally:
        raw.close()
    return statistics.median(times)


def api_seconds(client: TestClient, headers: dict[str, str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(PAGE, headers=headers)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200 and len(response.json()["items"]) == 20, response.text
    return statistics.median(times)


def measure(url: str, data_dir: Path, rounds: int) -> dict[str, tuple[float, float, int]]:
    _prepare(url)
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key="bench-" + uuid.uuid4().hex,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        escalation_interval_seconds=0,
        weekly_report_interval_seconds=0,
        notify_interval_seconds=0,
    )
    app = create_app(settings)
    results = {}
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        world = World(client)
        site = world.site(world.org())
        officer = world.officer(site)
        officer_headers = world.headers(officer)
        for n in range(30):
            body = {"site_id": str(site.id), "category": "gas", "severity": "yellow", "description": f"阀门锈蚀 {n}"}
            assert client.put(f"/api/v1/hazards/{uuid.uuid4()}", json=body, headers=officer_headers).is_success
        token = client.post("/api/v1/auth/token", data={"username": officer.username, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        engine = app.state.engine
        ways = {"before": before_get_current_user, "after": None}

        def use(name: str) -> None:
            app.dependency_overrides.clear()
            if ways[name]:
                app.dependency_overrides[get_current_user] = ways[name]

        statements = {}
        for name in ways:
            use(name)
            api_seconds(client, headers, 20)  # warm up
            statements[name] = capture_sql(engine, lambda: client.get(PAGE, headers=headers))
        # Both ways in alternating slices, so machine noise falls on them alike.
        api: dict[str, list[float]] = {name: [] for name in ways}
        raw: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(10):
            for name in ways:
                use(name)
                api[name].append(api_seconds(client, headers, max(1, rounds // 10)))
                raw[name].append(replay_seconds(engine, statements[name], max(1, rounds // 10)))
        for name in ways:
            results[name] = (statistics.median(api[name]), statistics.median(raw[name]), len(statements[name]))
        app.dependency_overrides.clear()
    return results


def report(database: str, results: dict[str, tuple[float, float, int]]) -> None:
    for name, (api, raw, count) in results.items():
        print(
            f"{database:<10} {name:<6} API {api * 1000:7.2f} ms   raw SQL {raw * 1000:6.2f} ms ({count} statements)"
            f"   API/SQL {api / raw:6.1f}"
        )
    before, after = results["before"][0], results["after"][0]
    print(f"{database:<10} after/before API time: {after / before:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="saferound-overhead-"))
    report("sqlite", measure(f"sqlite:///{root / 'bench.db'}", root / "sqlite", args.rounds))
    if not args.no_postgres:
        pg = PostgresServer.start()
        try:
            report("postgresql", measure(pg.create_database("bench"), root / "pg", args.rounds))
        finally:
            pg.stop()


if __name__ == "__main__":
    main()
