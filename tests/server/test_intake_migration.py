"""Migration 0010 on a database with hazards and sites from before: every hazard gets its source (checklist
for an inspection's, officer for one reported directly), every site an unguessable public code."""

from __future__ import annotations

import uuid

from alembic import command
from sqlmodel import select

from server.db import alembic_config, migrate
from server.hazards.models import Hazard
from server.intake.models import PUBLIC_REPORTER_ID
from server.sites.models import Site
from server.users.models import User
from tests.server.test_remediation import raise_hazard


def test_upgrading_from_0009_backfills_sources_and_public_codes(world, client, settings):
    site = world.site(world.org())
    other = world.site(world.org())
    officer = world.officer(site)
    from_checklist = raise_hazard(world, client, officer, site)
    by_officer = str(uuid.uuid4())
    body = {"site_id": str(site.id), "category": "fire", "severity": "red", "description": "灭火器过期"}
    assert client.put(f"/api/v1/hazards/{by_officer}", json=body, headers=world.headers(officer)).status_code == 201

    url = settings.resolved_database_url
    client.app.state.engine.dispose()
    command.downgrade(alembic_config(url), "0009")
    client.app.state.engine.dispose()
    migrate(url)

    with world.session() as s:
        sources = {str(h.id): h.source for h in s.exec(select(Hazard)).all()}
        codes = [s.get(Site, site.id).public_code, s.get(Site, other.id).public_code]
        public = s.get(User, PUBLIC_REPORTER_ID)
    assert sources == {from_checklist: "checklist", by_officer: "officer"}
    assert all(code and len(code) >= 16 for code in codes) and codes[0] != codes[1]
    assert public is not None and not public.is_active and public.role == "gridworker"
    assert client.get(f"/r/{codes[0]}").status_code == 200
