"""The phone's local SQLite database: session, cached server data, drafts, records, photos, outbox.

One file in the app's data dir, WAL, schema versioned with PRAGMA user_version.
Each thread gets its own connection; writes go through `write()`, one BEGIN IMMEDIATE
transaction, so a record and its outbox rows are saved together or not at all.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DB_NAME = "saferound-phone.db"

# Each entry upgrades the schema from version i to i+1; never edit one that has shipped.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE site (id TEXT PRIMARY KEY, name TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE checklist (
        category TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL,
        is_current INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (category, version));
    CREATE TABLE hazard (
        id TEXT PRIMARY KEY, site_id TEXT, category TEXT, severity TEXT, status TEXT,
        organization_id TEXT, deadline TEXT, created_at TEXT,
        provisional INTEGER NOT NULL DEFAULT 0,   -- raised on the phone, not yet confirmed by the server
        detailed INTEGER NOT NULL DEFAULT 0,      -- data holds the detail (history, photos)
        data TEXT NOT NULL);
    CREATE INDEX ix_hazard_site ON hazard (site_id, status);
    CREATE TABLE notice (id TEXT PRIMARY KEY, organization_id TEXT, created_at TEXT, data TEXT NOT NULL);
    CREATE TABLE rounds (week TEXT PRIMARY KEY, data TEXT NOT NULL, fetched_at TEXT NOT NULL);
    CREATE TABLE draft (
        id TEXT PRIMARY KEY, site_id TEXT NOT NULL, category TEXT NOT NULL, template_version INTEGER NOT NULL,
        data TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE record (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, data TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE INDEX ix_record_kind ON record (kind, created_at);
    CREATE TABLE photo (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL,
        bytes INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
        taken_at TEXT, lat REAL, lon REAL, created_at TEXT NOT NULL);
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,                  -- the client UUID the call carries on every try
        kind TEXT NOT NULL,                       -- photo | inspection | training | hazard_report | transition | ...
        method TEXT NOT NULL, path TEXT NOT NULL,
        body TEXT,                                -- exact JSON text sent (byte-identical replays)
        file_path TEXT, form TEXT,                -- multipart uploads: the file and the form fields
        depends_on TEXT NOT NULL DEFAULT '[]',    -- outbox ids that must be done first
        hazard_id TEXT,                           -- transitions: the hazard they act on
        label TEXT NOT NULL DEFAULT '',
        bytes INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'pending',    -- pending | sending | done | needs_attention | discarded
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        last_status INTEGER, last_code TEXT, last_error TEXT,
        response TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE INDEX ix_outbox_state ON outbox (state, seq);
    CREATE INDEX ix_outbox_hazard ON outbox (hazard_id);
    CREATE TABLE conflict (
        id TEXT PRIMARY KEY,                      -- the refused transition's id
        hazard_id TEXT NOT NULL, attempted TEXT NOT NULL, server_hazard TEXT, detail TEXT NOT NULL,
        created_at TEXT NOT NULL, resolved_at TEXT, resolution TEXT);
    """,
    # 2: the parameters of a refusal's sentence, so it is shown in the phone's language (rulebook.messages).
    """
    ALTER TABLE outbox ADD COLUMN last_params TEXT;
    """,
    # 3: problems reported into the intake queue (a grid worker's own, an officer's queue), as the server sent
    # them or, provisional, as saved on the phone before their first sync.
    """
    CREATE TABLE intake (
        id TEXT PRIMARY KEY, site_id TEXT, status TEXT, created_at TEXT,
        provisional INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL);
    CREATE INDEX ix_intake_status ON intake (status, created_at);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


class Store:
    """The local database in `data_dir`. Safe to share between threads (a connection per thread)."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.photos_dir = self.data_dir / "photos"
        self.photos_dir.mkdir(exist_ok=True)
        self.path = self.data_dir / DB_NAME
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._migrate()

    # ---- connections and transactions ---------------------------------------------------

    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk before we tell the officer it is saved (power loss included).
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE): all of it is saved, or none of it."""
        conn = self.conn()
        if conn.in_transaction:  # nested use joins the outer transaction
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def rows(self, sql: str, args: tuple | list = ()) -> list[sqlite3.Row]:
        return self.conn().execute(sql, args).fetchall()

    def row(self, sql: str, args: tuple | list = ()) -> sqlite3.Row | None:
        return self.conn().execute(sql, args).fetchone()

    def scalar(self, sql: str, args: tuple | list = ()) -> Any:
        found = self.conn().execute(sql, args).fetchone()
        return found[0] if found else None

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.ProgrammingError:
                    pass
            self._all.clear()
        self._local = threading.local()

    def _migrate(self) -> None:
        conn = self.conn()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{self.path} was written by a newer app (schema {version}); update the app.")
        while version < SCHEMA_VERSION:
            with self.write() as tx:
                # user_version is re-read inside the lock: another thread may have migrated meanwhile.
                version = tx.execute("PRAGMA user_version").fetchone()[0]
                if version >= SCHEMA_VERSION:
                    break
                for statement in MIGRATIONS[version].split(";"):
                    if statement.strip():
                        tx.execute(statement)
                tx.execute(f"PRAGMA user_version = {version + 1}")
            version += 1

    # ---- key/value: session, cursor, sync status ------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        value = self.scalar("SELECT value FROM kv WHERE key = ?", (key,))
        return default if value is None else json.loads(value)

    def put(self, key: str, value: Any, conn: sqlite3.Connection | None = None) -> None:
        sql, args = "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, dumps(value))
        if conn is not None:
            conn.execute(sql, args)
        else:
            with self.write() as tx:
                tx.execute(sql, args)

    def delete(self, key: str, conn: sqlite3.Connection | None = None) -> None:
        if conn is not None:
            conn.execute("DELETE FROM kv WHERE key = ?", (key,))
        else:
            with self.write() as tx:
                tx.execute("DELETE FROM kv WHERE key = ?", (key,))

    # ---- cached server data -----------------------------------------------------------------

    def replace_sites(self, sites: list[dict[str, Any]]) -> None:
        with self.write() as tx:
            tx.execute("DELETE FROM site")
            tx.executemany(
                "INSERT INTO site (id, name, data) VALUES (?, ?, ?)",
                [(s["id"], s.get("name", ""), dumps(s)) for s in sites],
            )

    def sites(self) -> list[dict[str, Any]]:
        return [json.loads(r["data"]) for r in self.rows("SELECT data FROM site ORDER BY name")]

    def site(self, site_id: str) -> dict[str, Any] | None:
        data = self.scalar("SELECT data FROM site WHERE id = ?", (str(site_id),))
        return json.loads(data) if data else None

    def save_checklist(self, template: dict[str, Any], *, current: bool) -> None:
        with self.write() as tx:
            if current:
                tx.execute("UPDATE checklist SET is_current = 0 WHERE category = ?", (template["category"],))
            tx.execute(
                "INSERT INTO checklist (category, version, data, is_current) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (category, version) DO UPDATE SET is_current = MAX(is_current, excluded.is_current)",
                (template["category"], int(template["version"]), dumps(template), int(current)),
            )

    def checklist(self, category: str, version: int | None = None) -> dict[str, Any] | None:
        if version is None:
            data = self.scalar(
                "SELECT data FROM checklist WHERE category = ? ORDER BY is_current DESC, version DESC LIMIT 1",
                (category,),
            )
        else:
            data = self.scalar("SELECT data FROM checklist WHERE category = ? AND version = ?", (category, version))
        return json.loads(data) if data else None

    def checklist_versions(self) -> set[tuple[str, int]]:
        return {(r["category"], r["version"]) for r in self.rows("SELECT category, version FROM checklist")}

    def current_checklists(self) -> list[dict[str, Any]]:
        return [
            json.loads(r["data"])
            for r in self.rows("SELECT data FROM checklist WHERE is_current = 1 ORDER BY category")
        ]

    def upsert_hazards(
        self,
        hazards: list[dict[str, Any]],
        conn: sqlite3.Connection | None = None,
        *,
        provisional: bool = False,
        detailed: bool = False,
    ) -> None:
        """Keep the server's view of these hazards (a newer version never loses to an older one)."""

        def run(tx: sqlite3.Connection) -> None:
            for h in hazards:
                old = tx.execute("SELECT data, provisional, detailed FROM hazard WHERE id = ?", (h["id"],)).fetchone()
                if old is not None and not old["provisional"] and provisional:
                    continue  # the server's hazard wins over the phone's guess
                keep_detail = False
                if old is not None and not old["provisional"]:
                    previous = json.loads(old["data"])
                    if int(previous.get("version", 0)) > int(h.get("version", 0)):
                        continue
                    if old["detailed"] and not detailed and previous.get("version") == h.get("version"):
                        h = {**previous, **h}
                        keep_detail = True
                tx.execute(
                    "INSERT OR REPLACE INTO hazard (id, site_id, category, severity, status, organization_id, "
                    "deadline, created_at, provisional, detailed, data) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        h["id"],
                        h.get("site_id"),
                        h.get("category"),
                        h.get("severity"),
                        h.get("status"),
                        h.get("organization_id"),
                        h.get("deadline"),
                        h.get("created_at") or h.get("found_at"),
                        int(provisional),
                        int(detailed or keep_detail),
                        dumps(h),
                    ),
                )

        if conn is not None:
            run(conn)
        else:
            with self.write() as tx:
                run(tx)

    def hazard(self, hazard_id: str) -> dict[str, Any] | None:
        found = self.row("SELECT data, provisional FROM hazard WHERE id = ?", (str(hazard_id),))
        if found is None:
            return None
        return {**json.loads(found["data"]), "provisional": bool(found["provisional"])}

    def upsert_notices(self, notices: list[dict[str, Any]], conn: sqlite3.Connection | None = None) -> None:
        def run(tx: sqlite3.Connection) -> None:
            tx.executemany(
                "INSERT OR REPLACE INTO notice (id, organization_id, created_at, data) VALUES (?,?,?,?)",
                [
                    (n["id"], n.get("organization_id"), n.get("created_at") or n.get("issued_at"), dumps(n))
                    for n in notices
                ],
            )

        if conn is not None:
            run(conn)
        else:
            with self.write() as tx:
                run(tx)

    def notices(self) -> list[dict[str, Any]]:
        return [json.loads(r["data"]) for r in self.rows("SELECT data FROM notice ORDER BY created_at DESC, id")]

    def notice(self, notice_id: str) -> dict[str, Any] | None:
        data = self.scalar("SELECT data FROM notice WHERE id = ?", (str(notice_id),))
        return json.loads(data) if data else None

    def save_rounds(self, week: str, data: dict[str, Any]) -> None:
        with self.write() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO rounds (week, data, fetched_at) VALUES (?, ?, ?)",
                (week, dumps(data), now_iso()),
            )

    def rounds(self, week: str) -> dict[str, Any] | None:
        data = self.scalar("SELECT data FROM rounds WHERE week = ?", (week,))
        return json.loads(data) if data else None

    # ---- intake reports ------------------------------------------------------------------------------

    def upsert_intake(
        self, reports: list[dict[str, Any]], conn: sqlite3.Connection | None = None, *, provisional: bool = False
    ) -> None:
        """Keep reports as the server sent them; a phone-made (provisional) one never replaces the server's."""

        def run(tx: sqlite3.Connection) -> None:
            for r in reports:
                if (
                    provisional
                    and tx.execute("SELECT 1 FROM intake WHERE id = ? AND provisional = 0", (str(r["id"]),)).fetchone()
                ):
                    continue
                tx.execute(
                    "INSERT OR REPLACE INTO intake (id, site_id, status, created_at, provisional, data) "
                    "VALUES (?,?,?,?,?,?)",
                    (
                        str(r["id"]),
                        r.get("site_id"),
                        r.get("status"),
                        r.get("created_at") or r.get("reported_at"),
                        int(provisional),
                        dumps(r),
                    ),
                )

        if conn is not None:
            run(conn)
        else:
            with self.write() as tx:
                run(tx)

    def replace_intake(self, reports: list[dict[str, Any]]) -> None:
        """The server's whole list for this user: what it no longer lists (and the phone did not make) goes."""
        with self.write() as tx:
            tx.execute("DELETE FROM intake WHERE provisional = 0")
            self.upsert_intake(reports, tx)  # replaces the phone's own copy of each report the server has

    def intake_reports(self) -> list[dict[str, Any]]:
        """Cached reports, newest first, each with `provisional`."""
        return [
            {**json.loads(r["data"]), "provisional": bool(r["provisional"])}
            for r in self.rows("SELECT data, provisional FROM intake ORDER BY created_at DESC, id")
        ]

    def intake_report(self, report_id: str) -> dict[str, Any] | None:
        found = self.row("SELECT data, provisional FROM intake WHERE id = ?", (str(report_id),))
        return {**json.loads(found["data"]), "provisional": bool(found["provisional"])} if found else None

    # ---- the officer's own records and photos --------------------------------------------------

    def records(self, kind: str) -> list[dict[str, Any]]:
        return [
            json.loads(r["data"])
            for r in self.rows("SELECT data FROM record WHERE kind = ? ORDER BY created_at", (kind,))
        ]

    def record(self, record_id: str) -> dict[str, Any] | None:
        data = self.scalar("SELECT data FROM record WHERE id = ?", (str(record_id),))
        return json.loads(data) if data else None

    def photo(self, photo_id: str) -> dict[str, Any] | None:
        found = self.row("SELECT * FROM photo WHERE id = ?", (str(photo_id),))
        return dict(found) if found else None

    def wipe_user_data(self) -> None:
        """Forget everything of the signed-in user (sign-out on a shared phone)."""
        with self.write() as tx:
            for table in (
                "kv",
                "site",
                "hazard",
                "notice",
                "rounds",
                "draft",
                "record",
                "photo",
                "outbox",
                "conflict",
                "intake",
            ):
                tx.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        for path in self.photos_dir.glob("*"):
            path.unlink(missing_ok=True)
