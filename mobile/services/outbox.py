"""The outbox: every call the phone owes the server, saved in the same transaction as the record.

A row carries the client UUID (the same on every try), the HTTP call, its dependencies
(outbox ids that must be done first: photos before the records naming them, an inspection
before a transition on a hazard it raises), attempts, the next attempt time, its state and
the last error. States: pending → sending → done, or needs_attention (a permanent refusal,
with the server's sentence), or discarded (the officer gave it up).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mobile.services.store import Store, dumps, now_iso

PENDING, SENDING, DONE, NEEDS_ATTENTION, DISCARDED = "pending", "sending", "done", "needs_attention", "discarded"
OPEN_STATES = (PENDING, SENDING)


@dataclass
class OutboxRow:
    seq: int
    id: str
    kind: str
    method: str
    path: str
    body: str | None
    file_path: str | None
    form: dict[str, str] | None
    depends_on: list[str]
    hazard_id: str | None
    label: str
    bytes: int
    state: str
    attempts: int
    next_attempt_at: float
    last_status: int | None
    last_code: str | None
    last_error: str | None
    response: Any
    last_params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> OutboxRow:
        return cls(
            seq=row["seq"],
            id=row["id"],
            kind=row["kind"],
            method=row["method"],
            path=row["path"],
            body=row["body"],
            file_path=row["file_path"],
            form=json.loads(row["form"]) if row["form"] else None,
            depends_on=json.loads(row["depends_on"]),
            hazard_id=row["hazard_id"],
            label=row["label"],
            bytes=row["bytes"],
            state=row["state"],
            attempts=row["attempts"],
            next_attempt_at=row["next_attempt_at"],
            last_status=row["last_status"],
            last_code=row["last_code"],
            last_error=row["last_error"],
            response=json.loads(row["response"]) if row["response"] else None,
            last_params=json.loads(row["last_params"]) if row["last_params"] else {},
        )


# A pending row is due when its time has come and every dependency that is still in the outbox is done.
_DUE = """
    SELECT * FROM outbox o
    WHERE o.state = 'pending' AND o.next_attempt_at <= ?
      AND NOT EXISTS (SELECT 1 FROM json_each(o.depends_on) d JOIN outbox p ON p.id = d.value
                      WHERE p.state != 'done')
    ORDER BY o.seq LIMIT 1
"""


class Outbox:
    def __init__(self, store: Store):
        self.store = store

    # ---- writing (always inside the caller's transaction) ------------------------------------

    def enqueue(
        self,
        conn: sqlite3.Connection,
        *,
        id: str,
        kind: str,
        method: str,
        path: str,
        body: Any = None,
        file_path: str | None = None,
        form: dict[str, str] | None = None,
        depends_on: Iterable[str] = (),
        hazard_id: str | None = None,
        label: str = "",
        size: int = 0,
    ) -> None:
        """Add a call to send. `body` is serialised once, here, so every retry sends the same bytes."""
        text = body if isinstance(body, str) or body is None else dumps(body)
        stamp = now_iso()
        conn.execute(
            "INSERT INTO outbox (id, kind, method, path, body, file_path, form, depends_on, hazard_id, label, bytes, "
            "state, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                str(id),
                kind,
                method,
                path,
                text,
                file_path,
                dumps(form) if form is not None else None,
                dumps(sorted({str(d) for d in depends_on if str(d) != str(id)})),
                hazard_id,
                label,
                size or len((text or "").encode()),
                PENDING,
                stamp,
                stamp,
            ),
        )

    def open_ids(self, conn: sqlite3.Connection, ids: Iterable[str]) -> list[str]:
        """Those of `ids` that are outbox rows not yet done (to depend on)."""
        ids = [str(i) for i in ids]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return [
            r[0]
            for r in conn.execute(
                f"SELECT id FROM outbox WHERE id IN ({marks}) AND state NOT IN ('done', 'discarded')", ids
            )
        ]  # noqa: S608

    # ---- the engine's side ---------------------------------------------------------------------

    def next_due(
        self, *, now: float | None = None, ignore_backoff: bool = False, skip: Iterable[str] = ()
    ) -> OutboxRow | None:
        """The oldest pending row whose dependencies are done (and whose backoff has passed)."""
        limit = 1e18 if ignore_backoff else (now or time.time())
        skip = set(skip)
        if not skip:
            row = self.store.row(_DUE, (limit,))
            return OutboxRow.from_row(row) if row else None
        for row in self.store.rows(_DUE.replace("LIMIT 1", ""), (limit,)):
            if row["id"] not in skip:
                return OutboxRow.from_row(row)
        return None

    def mark_sending(self, row_id: str) -> None:
        with self.store.write() as tx:
            tx.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ? WHERE id = ?",
                (now_iso(), row_id),
            )

    def mark_done(self, conn: sqlite3.Connection, row_id: str, *, status: int, response: Any) -> None:
        conn.execute(
            "UPDATE outbox SET state = 'done', last_status = ?, last_code = NULL, last_error = NULL, "
            "response = ?, updated_at = ? WHERE id = ?",
            (status, dumps(response) if response is not None else None, now_iso(), row_id),
        )

    def retry_later(self, row_id: str, *, delay: float, status: int, code: str, message: str) -> None:
        with self.store.write() as tx:
            tx.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_status = ?, last_code = ?, "
                "last_error = ?, updated_at = ? WHERE id = ?",
                (time.time() + delay, status, code, message, now_iso(), row_id),
            )

    def put_back(self, row_id: str) -> None:
        """Undo mark_sending without counting an attempt (the call never left, e.g. signed out)."""
        with self.store.write() as tx:
            tx.execute(
                "UPDATE outbox SET state = 'pending', attempts = MAX(attempts - 1, 0), updated_at = ? "
                "WHERE id = ? AND state = 'sending'",
                (now_iso(), row_id),
            )

    def mark_needs_attention(
        self,
        row_id: str,
        *,
        status: int,
        code: str,
        message: str,
        params: dict[str, Any] | None = None,
        conn: sqlite3.Connection | None = None,
    ) -> None:
        sql = (
            "UPDATE outbox SET state = 'needs_attention', last_status = ?, last_code = ?, last_error = ?, "
            "last_params = ?, updated_at = ? WHERE id = ?"
        )
        args = (status, code, message, dumps(params or {}), now_iso(), row_id)
        if conn is not None:
            conn.execute(sql, args)
        else:
            with self.store.write() as tx:
                tx.execute(sql, args)

    def recover_interrupted(self) -> int:
        """Rows left 'sending' by a killed process go back to pending; the server's idempotency makes
        sending them again safe. Returns how many."""
        with self.store.write() as tx:
            return tx.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = 0, updated_at = ? WHERE state = 'sending'",
                (now_iso(),),
            ).rowcount

    # ---- what the officer sees and does ---------------------------------------------------------------

    def get(self, row_id: str) -> OutboxRow | None:
        row = self.store.row("SELECT * FROM outbox WHERE id = ?", (str(row_id),))
        return OutboxRow.from_row(row) if row else None

    def rows(self, *states: str) -> list[OutboxRow]:
        if states:
            marks = ",".join("?" * len(states))
            found = self.store.rows(f"SELECT * FROM outbox WHERE state IN ({marks}) ORDER BY seq", states)  # noqa: S608
        else:
            found = self.store.rows("SELECT * FROM outbox ORDER BY seq")
        return [OutboxRow.from_row(r) for r in found]

    def pending_count(self) -> int:
        """Calls not yet accepted by the server and not refused (pending or sending)."""
        return self.store.scalar("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')")

    def open_bytes(self) -> int:
        return self.store.scalar("SELECT COALESCE(SUM(bytes), 0) FROM outbox WHERE state IN ('pending', 'sending')")

    def blocked(self) -> dict[str, str]:
        """Pending rows that wait, directly or through others, on a row needing attention:
        {waiting row id: id of the row needing attention}."""
        rows = {r.id: r for r in self.rows(PENDING, SENDING, NEEDS_ATTENTION)}
        cause: dict[str, str] = {}

        def find(row_id: str, seen: frozenset[str]) -> str | None:
            if row_id in cause:
                return cause[row_id]
            row = rows.get(row_id)
            if row is None or row_id in seen:
                return None
            if row.state == NEEDS_ATTENTION:
                return row_id
            for dep in row.depends_on:
                found = find(dep, seen | {row_id})
                if found:
                    cause[row_id] = found
                    return found
            return None

        return {rid: c for rid in rows if rows[rid].state != NEEDS_ATTENTION and (c := find(rid, frozenset()))}

    def attention_items(self) -> list[dict[str, Any]]:
        """Rows refused by the server, then rows waiting on them, each with a sentence for the officer."""
        refused = self.rows(NEEDS_ATTENTION)
        labels = {r.id: r.label or r.kind for r in refused}
        items = [
            {
                "id": r.id,
                "kind": r.kind,
                "label": r.label,
                "state": r.state,
                "status": r.last_status,
                "code": r.last_code,
                "params": r.last_params,
                "message": r.last_error,
                "waiting_on": None,
            }
            for r in refused
        ]
        for row_id, cause in self.blocked().items():
            row = self.get(row_id)
            if row is None:
                continue
            items.append(
                {
                    "id": row.id,
                    "kind": row.kind,
                    "label": row.label,
                    "state": "waiting",
                    "status": None,
                    "code": "waiting_on_needs_attention",
                    "params": {},
                    "message": None,
                    "waiting_on": cause,
                    "waiting_on_label": labels.get(cause, cause),
                }
            )
        return items

    def retry(self, row_id: str) -> None:
        """Send a refused row again (after the cause was fixed, e.g. the site was assigned)."""
        with self.store.write() as tx:
            tx.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = 0, updated_at = ? "
                "WHERE id = ? AND state = 'needs_attention'",
                (now_iso(), str(row_id)),
            )

    def discard(self, row_id: str) -> list[str]:
        """Give up a row that is not done, and every row that depends on it. Returns the ids discarded."""
        with self.store.write() as tx:
            open_rows = {
                r["id"]: json.loads(r["depends_on"])
                for r in tx.execute("SELECT id, depends_on FROM outbox WHERE state NOT IN ('done', 'discarded')")
            }
            doomed = {str(row_id)} & set(open_rows)
            grew = True
            while grew:
                more = {rid for rid, deps in open_rows.items() if rid not in doomed and doomed & set(deps)}
                grew = bool(more)
                doomed |= more
            for rid in doomed:
                tx.execute("UPDATE outbox SET state = 'discarded', updated_at = ? WHERE id = ?", (now_iso(), rid))
        return sorted(doomed)
