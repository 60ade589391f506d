"""Every database test runs twice: on a real SQLite file and on a real PostgreSQL the suite starts."""

from __future__ import annotations

import shutil
import uuid
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.checklists.service import ChecklistRegistry, store_current_versions
from server.checklists.templates import default_checklists_dir
from server.config import Settings
from server.db import make_engine, migrate
from server.main import create_app
from tests.factories import World
from tests.pg import PostgresServer

DATABASES = ("sqlite", "postgresql")
_ran_on: Counter[str] = Counter()


def _prepare(url: str) -> None:
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as session:
        store_current_versions(session=session, registry=ChecklistRegistry.from_directory(default_checklists_dir()))
    engine.dispose()


@pytest.fixture(scope="session")
def postgres():
    server = PostgresServer.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _prepare(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres) -> str:
    with psycopg.connect(f"host=127.0.0.1 port={postgres.port} user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE saferound_template")
    _prepare(postgres.url("saferound_template"))
    return "saferound_template"


@pytest.fixture(params=DATABASES)
def db_url(request, tmp_path):
    """A fresh, migrated database of each kind, for one test."""
    _ran_on[request.param] += 1
    if request.param == "sqlite":
        target = tmp_path / "saferound.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    postgres = request.getfixturevalue("postgres")
    template = request.getfixturevalue("postgres_template")
    name = f"t_{uuid.uuid4().hex[:16]}"
    dsn = f"host=127.0.0.1 port={postgres.port} user=postgres dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield postgres.url(name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def settings(db_url, tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        secret_key="test-" + uuid.uuid4().hex,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        escalation_interval_seconds=0,
        weekly_report_interval_seconds=0,
        notify_interval_seconds=0,  # tests that deliver call server.notify.delivery.deliver_due themselves
    )


# The API answers in Chinese unless English is asked for; most tests read its sentences in English
# (tests/server/test_errors_language.py reads the Chinese ones).
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings), headers=ENGLISH) as c:
        yield c


@pytest.fixture
def world(client) -> World:
    return World(client)


def pytest_terminal_summary(terminalreporter):
    if _ran_on:
        ran = ", ".join(f"{db}: {_ran_on[db]} tests" for db in DATABASES)
        terminalreporter.write_line(f"database tests ran on SQLite and PostgreSQL — {ran}")
