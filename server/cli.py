"""saferound serve | init-db | seed-demo | create-user | escalate | report | backup | restore"""

from __future__ import annotations

from typing import Annotated

import typer

from server.config import get_settings

app = typer.Typer(help="SafeRound server: community safety rounds.", no_args_is_help=True, add_completion=False)


@app.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    from server.db import migrate

    settings = get_settings()
    migrate(settings.resolved_database_url)
    typer.echo(f"Database is at the newest schema: {_safe_url(settings.resolved_database_url)}")


@app.command("seed-demo")
def seed_demo() -> None:
    """Load a small demo district (sites, companies, accounts, inspections) unless it is there already."""
    from server.checklists.templates import ChecklistFileError
    from server.demo import DEMO_ACCOUNTS, seed

    try:
        created = seed(get_settings())
    except ChecklistFileError as exc:
        typer.echo(f"Demo data not loaded: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo("Demo data loaded." if created else "Demo data is already there; nothing changed.")
    for username, password, role in DEMO_ACCOUNTS:
        typer.echo(f"  {role:<9} {username:<10} password: {password}")


@app.command("create-user")
def create_user(
    username: Annotated[str, typer.Option(help="Sign-in name")],
    password: Annotated[str, typer.Option(help="At least 8 characters")],
    role: Annotated[str, typer.Option(help="admin, officer or property")] = "admin",
    organization_id: Annotated[str | None, typer.Option(help="Required for property users")] = None,
    display_name: Annotated[str, typer.Option()] = "",
) -> None:
    """Create an account (the first admin, typically)."""
    from pydantic import ValidationError
    from sqlmodel import Session

    from server import security
    from server.db import make_engine
    from server.errors import DomainError
    from server.users.models import UserCreate
    from server.users.service import create_user as create

    settings = get_settings()
    try:
        data = UserCreate(
            username=username, password=password, role=role, organization_id=organization_id, display_name=display_name
        )
    except ValidationError as exc:
        typer.echo(f"Not created: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from None
    engine = make_engine(settings.resolved_database_url)
    hasher = security.make_password_hasher(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib)
    try:
        with Session(engine) as session:
            user = create(session=session, hasher=hasher, data=data, actor_id=None)
            typer.echo(f"Created {user.role} '{user.username}' ({user.id}).")
    except DomainError as exc:
        typer.echo(f"Not created: {exc.detail('zh')} {exc.detail('en')}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


@app.command()
def backup(dest: Annotated[str, typer.Argument(help="A new, empty folder for the backup")]) -> None:
    """Back up the database, the photos and the secret key into DEST, safely while the server runs."""
    from pathlib import Path

    from server.backup import BackupError
    from server.backup import backup as take_backup

    try:
        manifest = take_backup(get_settings(), Path(dest))
    except BackupError as exc:
        typer.echo(f"No backup: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Backed up {len(manifest['files'])} files ({manifest['database']}) into {dest}.")


@app.command()
def restore(src: Annotated[str, typer.Argument(help="A folder written by 'saferound backup'")]) -> None:
    """Restore a backup into this (empty) data dir and database, after checking every file's sha256."""
    from pathlib import Path

    from server.backup import BackupError
    from server.backup import restore as restore_backup

    try:
        manifest = restore_backup(get_settings(), Path(src))
    except BackupError as exc:
        typer.echo(f"Not restored: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Restored {len(manifest['files'])} files ({manifest['database']}) from {src}.")


@app.command()
def escalate() -> None:
    """Update overdue hazards' escalation levels now (the server also does this every few minutes)."""
    from server.db import make_engine
    from server.jobs import escalate_overdue_hazards

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        changed = escalate_overdue_hazards(engine, settings)
    finally:
        engine.dispose()
    typer.echo(f"{changed} hazards changed escalation level.")


@app.command()
def report(
    period: Annotated[str, typer.Option(help="2026-W48, 2026-11, 2026-Q4 or 2026")],
    scope: Annotated[str, typer.Option(help="all, district:NAME, street:NAME or site:ID")] = "all",
    format: Annotated[str, typer.Option(help="json or xlsx")] = "json",  # noqa: A002
    output: Annotated[str, typer.Option("-o", "--output", help="File to write; - for standard output")] = "-",
) -> None:
    """Write a period's report (the whole deployment's view) as JSON or XLSX."""
    import json
    import sys
    from pathlib import Path

    from sqlmodel import Session

    from server.checklists.service import ChecklistRegistry
    from server.db import make_engine
    from server.errors import DomainError
    from server.reports.service import report as make_report
    from server.reports.xlsx import report_workbook
    from server.users.models import Role, User

    if format not in ("json", "xlsx"):
        typer.echo("--format is json or xlsx.", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    registry = ChecklistRegistry.from_directory(settings.checklists_dir)
    coordinator = User(username="saferound-cli", password_hash="", role=Role.admin.value)
    try:
        with Session(engine) as session:
            data = make_report(
                session=session,
                settings=settings,
                registry=registry,
                user=coordinator,
                period_name=period,
                scope_text=scope,
            )
    except DomainError as exc:
        typer.echo(exc.detail("zh"), err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    body = report_workbook(data) if format == "xlsx" else json.dumps(data, ensure_ascii=False, indent=1).encode()
    if output == "-":
        sys.stdout.buffer.write(body)
    else:
        Path(output).write_bytes(body)
        typer.echo(f"Report {data['period']} ({data['scope']}) written to {output}.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes; background jobs run in one of them")] = 1,
) -> None:
    """Serve the API (docs at /docs)."""
    import uvicorn

    from server.checklists.templates import ChecklistFileError, load_templates

    try:  # every worker would refuse to start; say why once, plainly
        load_templates(get_settings().checklists_dir)
    except ChecklistFileError as exc:
        typer.echo(f"Not started: {exc}", err=True)
        raise typer.Exit(2) from None
    settings = get_settings()
    _fresh_metrics_dir(settings.data_dir / "metrics")
    if settings.log_format == "text":  # JSON logs stay one object a line; uvicorn logs where it listens
        typer.echo(f"SafeRound API on http://{host}:{port}/api/v1 — interactive docs at http://{host}:{port}/docs")
    from server.ops.logs import log_config

    options = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_config": log_config(settings.log_format),
        "access_log": False,  # server/ops/observe.py writes the access lines, with the request id
    }
    if workers == 1:
        uvicorn.run("server.main:create_app", **options)
        return
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("server.main:create_app", **options)
    try:
        Multiprocess(config, sockets=[nodelay_listener(config)]).run()
    except KeyboardInterrupt:
        pass


def nodelay_listener(config):  # type: ignore[no-untyped-def]
    """The listening socket several workers share, with Nagle's algorithm off for what it accepts.

    uvicorn makes it without naming TCP, so asyncio does not set TCP_NODELAY on the connections the workers
    accept, and every response waited ~40 ms for the client's delayed ACK (GET /health 44 ms instead of 1 ms
    under --workers 3). Set on the listening socket, TCP_NODELAY is inherited by every accepted connection."""
    import socket

    listener = config.bind_socket()
    if listener.family in (socket.AF_INET, socket.AF_INET6):
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return listener


def _fresh_metrics_dir(path) -> None:  # type: ignore[no-untyped-def]
    """prometheus-client's multiprocess folder: emptied at every start (old workers' counters would add up),
    named before any worker imports prometheus_client, so /metrics from any worker reports them all."""
    import os
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path.resolve())


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    app()
