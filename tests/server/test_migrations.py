"""An existing database keeps what people see of its hazards across an upgrade (migration 0004)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from alembic import command
from sqlmodel import delete

from server.common import utcnow
from server.db import alembic_config, migrate
from server.hazards.escalation import refresh_escalations
from server.hazards.models import Hazard
from server.photos.models import PhotoLink


def seen(client, world, user, hazard_id):
    detail = client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(user)).json()
    return {
        "status": detail["status"],
        "photo_ids": detail["photo_ids"],
        "notice_id": detail["notice_id"],
        "photos": detail["photos"],
        "history": [(h["action"], h["from_state"], h["to_state"], h["actor_id"], h["note"]) for h in detail["history"]],
    }


def test_upgrading_from_0003_keeps_every_hazards_photos_and_history(world, client, settings):
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    staff = world.user("property", company)
    scene, problem = world.photo(officer, kind="scene"), world.photo(officer, kind="problem")
    hazard_id = str(uuid.uuid4())
    assert (
        client.put(
            f"/api/v1/hazards/{hazard_id}",
            headers=world.headers(officer),
            json={
                "site_id": str(site.id),
                "category": "fire",
                "severity": "red",
                "description": "疏散通道堵塞",
                "photo_ids": [scene, problem],
            },
        ).status_code
        == 201
    )
    notice = client.post(
        "/api/v1/notices",
        json={"organization_id": str(company.id), "hazard_ids": [hazard_id]},
        headers=world.headers(officer),
    ).json()
    assert client.post(f"/api/v1/notices/{notice['id']}/acknowledge", headers=world.headers(staff)).status_code == 200
    evidence = world.photo(staff, kind="rectification")
    assert (
        client.put(
            f"/api/v1/hazards/{hazard_id}/transitions/{uuid.uuid4()}",
            headers=world.headers(staff),
            json={"action": "submit_evidence", "base_version": 3, "note": "已清理", "photo_ids": [evidence]},
        ).status_code
        == 201
    )
    with world.session() as s:
        row = s.get(Hazard, uuid.UUID(hazard_id))
        row.deadline = utcnow() - timedelta(days=1)
        s.add(row)
        s.commit()
    with world.session() as s:
        assert refresh_escalations(session=s, settings=settings) == 1
    before = seen(client, world, officer, hazard_id)
    assert [step[0] for step in before["history"]] == ["report", "notify", "acknowledge", "submit_evidence", "escalate"]

    # Back to 0003, where the hazard named its photos itself and only PUT transitions had rows; there a
    # hazard's photo could lack its link (as before links were written for every hazard photo).
    url = settings.resolved_database_url
    client.app.state.engine.dispose()
    command.downgrade(alembic_config(url), "0003")
    with world.session() as s:
        s.exec(
            delete(PhotoLink).where(
                PhotoLink.hazard_id == uuid.UUID(hazard_id), PhotoLink.photo_id == uuid.UUID(problem)
            )
        )
        s.commit()
    client.app.state.engine.dispose()
    migrate(url)

    assert seen(client, world, officer, hazard_id) == before


def test_the_migrated_lists_indexes_are_the_models_indexes(client):
    """Migration 0012 and the models name the same indexes on the listed tables, column for column (a list
    whose index exists only in the model would scan on a migrated database)."""
    from sqlalchemy import inspect
    from sqlmodel import SQLModel

    engine = client.app.state.engine
    found = inspect(engine)
    for table in ("hazard", "inspection", "notice", "site", "assignment"):
        model = {i.name: [c.name for c in i.columns] for i in SQLModel.metadata.tables[table].indexes if not i.unique}
        migrated = {i["name"]: i["column_names"] for i in found.get_indexes(table) if not i.get("unique")}
        assert migrated == model, table
