"""How many statements one inspection PUT sends to the database: a fixed number, not one (or four) per failed
item or photo. The counts are what the PUT needs today; a change that adds a round trip fails here and says
which statements ran, so it is a decision, not an accident."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlmodel import select

from server.audit.models import AuditEvent
from server.hazards.models import Hazard
from server.photos.models import PhotoLink

# Per database, per number of failed items (each with one photo), of a 10-item checklist. SQLite adds the
# read's BEGIN and the unit of work's BEGIN IMMEDIATE; a batch of rows sent at once (executemany) counts once.
#   0 failed: user (sign-in), inspection (replay?), site in scope; INSERT inspection, INSERT audit_event.
#   2 failed: also the photos in scope, the feed stamps of all hazards, and one INSERT each of hazard,
#             hazard_transition and photo_link.
#   a replay: user, and the stored inspection with whether the caller may see it.
EXPECTED = {"sqlite": {0: 7, 2: 12, "replay": 3}, "postgresql": {0: 5, 2: 10, "replay": 2}}


@contextmanager
def statements(engine) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def note(_conn, _cursor, statement, parameters, _context, executemany):  # type: ignore[no-untyped-def]
        rows = f"[{len(parameters)} rows] " if executemany else ""
        seen.append(rows + " ".join(statement.split())[:160])

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def put_counting(world, client, officer, body, inspection_id=None, status=201):  # type: ignore[no-untyped-def]
    inspection_id = inspection_id or uuid.uuid4()
    headers = world.headers(officer)
    with statements(client.app.state.engine) as seen:
        response = client.put(f"/api/v1/inspections/{inspection_id}", json=body, headers=headers)
    assert response.status_code == status, response.text
    return inspection_id, response.json(), seen


def listing(seen: list[str]) -> str:
    return "\n".join(f"  {n}. {s}" for n, s in enumerate(seen, 1))


def ten_item_site(world):  # type: ignore[no-untyped-def]
    site = world.site(world.org(), has_fire_control_room=False)
    items = world.template("fire").items_for(site.profile)
    assert len(items) == 10  # the fire checklist without its two control-room items
    return site, world.officer(site), [item.id for item in items]


def test_an_inspection_put_takes_a_fixed_number_of_statements(world, client):
    site, officer, items = ten_item_site(world)
    dialect = client.app.state.engine.dialect.name
    counted = {}
    for failed in (0, 2):
        body = world.inspection_body(site, "fire", fail=tuple(items[:failed]))
        inspection_id, _, counted[failed] = put_counting(world, client, officer, body)
    # The phone sends the last run again (it never heard the answer): the stored one comes back.
    counted["replay"] = put_counting(world, client, officer, body, inspection_id, status=200)[2]
    for run, seen in counted.items():
        expected = EXPECTED[dialect][run]
        assert len(seen) == expected, (
            f"PUT /inspections with 10 items, {run} failed, on {dialect}: {len(seen)} statements, expected "
            f"{expected} (fewer? lower EXPECTED; more? each is a round trip in every inspection):\n{listing(seen)}"
        )


def test_more_failed_items_and_photos_add_rows_not_statements(world, client):
    site, officer, items = ten_item_site(world)
    two = put_counting(world, client, officer, world.inspection_body(site, "fire", fail=tuple(items[:2])))[2]
    body = world.inspection_body(site, "fire", fail=tuple(items[2:7]))
    body["answers"][2]["photo_ids"].append(world.photo(officer))  # a failed item with two photos
    inspection_id, stored, five = put_counting(world, client, officer, body)
    assert len(five) == len(two), f"2 failed:\n{listing(two)}\n5 failed:\n{listing(five)}"

    # What the batched writes wrote: every hazard with its own place in the feed, in item order; one audit
    # event for the inspection, then one per hazard; each failed item's photos linked to its hazard.
    raised = [str(uuid.uuid5(inspection_id, item)) for item in items[2:7]]
    assert stored["hazard_ids"] == raised
    with world.session() as s:
        hazards = {str(h.id): h for h in s.exec(select(Hazard).where(Hazard.inspection_id == inspection_id))}
        positions = [(hazards[h].change_xid, hazards[h].change_seq) for h in raised]
        assert positions == sorted(set(positions)) and len(positions) == 5
        events = s.exec(
            select(AuditEvent.action, AuditEvent.target_id)
            .where(AuditEvent.target_id.in_([str(inspection_id), *raised]))
            .order_by(AuditEvent.id)
        ).all()
        assert events == [("submit", str(inspection_id))] + [("raise", h) for h in raised]
        links = s.exec(select(PhotoLink.photo_id, PhotoLink.hazard_id).where(PhotoLink.inspection_id == inspection_id))
        linked = {(str(p), str(h)) for p, h in links}
    answers = {a["item_id"]: a for a in body["answers"]}
    assert linked == {(p, str(uuid.uuid5(inspection_id, i))) for i in items[2:7] for p in answers[i]["photo_ids"]}
    assert len(linked) == 6
    for hazard_id in raised:  # and the hazard shows them, as before
        hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(officer)).json()
        item = next(i for i in items if str(uuid.uuid5(inspection_id, i)) == hazard_id)
        assert hazard["photo_ids"] == answers[item]["photo_ids"]


def test_the_put_answers_the_same_bytes_as_a_replay_and_a_get(world, client):
    """The PUT writes its answer itself (FastAPI does not check it again): the bytes are those FastAPI writes
    for the same InspectionPublic on GET, and the OpenAPI document still describes it."""
    site, officer, items = ten_item_site(world)
    body = world.inspection_body(site, "fire", fail=(items[0],), participants=[{"unit": "police", "name": "王警官"}])
    body["answers"][1]["note"] = "备注 with ünïcode"
    inspection_id = uuid.uuid4()
    headers = world.headers(officer)
    first = client.put(f"/api/v1/inspections/{inspection_id}", json=body, headers=headers)
    replay = client.put(f"/api/v1/inspections/{inspection_id}", json=body, headers=headers)
    got = client.get(f"/api/v1/inspections/{inspection_id}", headers=headers)
    assert (first.status_code, replay.status_code, got.status_code) == (201, 200, 200), first.text
    assert first.content == replay.content == got.content
    assert first.headers["content-type"] == got.headers["content-type"] == "application/json"
    answer = first.json()["answers"][1]
    assert answer["note"] == "备注 with ünïcode" and first.json()["joint"] is True
    put_doc = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/inspections/{inspection_id}"]["put"]
    assert put_doc["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/InspectionPublic")
