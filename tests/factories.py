"""Small factories: build the world a test needs through the services, sign in by minting tokens."""

from __future__ import annotations

import functools
import io
import itertools
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from sqlmodel import Session, select

from rulebook.categories import PROFILE_FLAGS
from server import security
from server.checklists.templates import ChecklistTemplate
from server.common import utcnow
from server.sites.models import Assignment, Site, SiteProfile
from server.users.models import Organization, User

PASSWORD = "correct-horse-1"
FULL_PROFILE = {**{flag: True for flag in PROFILE_FLAGS}, "building_count": 10, "household_count": 800}
_seq = itertools.count(1)


@functools.cache
def small_jpeg() -> bytes:
    """A 96×72 photo-like JPEG: real bytes for tests that only need *a* photo."""
    image = Image.new("RGB", (96, 72), (70, 110, 160))
    ImageDraw.Draw(image).rectangle((20, 15, 60, 50), fill=(220, 60, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


class World:
    def __init__(self, client: TestClient):
        self.client = client
        self.app = client.app

    def session(self) -> Session:
        return Session(self.app.state.engine, expire_on_commit=False)

    def _add(self, obj: Any) -> Any:
        with self.session() as s:
            s.add(obj)
            s.commit()
        return obj

    def org(self, name: str | None = None, kind: str = "property") -> Organization:
        return self._add(Organization(name=name or f"物业公司{next(_seq)}", kind=kind))

    def site(
        self,
        org: Organization | None = None,
        name: str | None = None,
        kind: str = "community",
        street: str = "五三街道",
        **profile: Any,
    ) -> Site:
        merged = SiteProfile(**{**FULL_PROFILE, **profile}).model_dump()
        return self._add(
            Site(
                name=name or f"测试社区{next(_seq)}",
                kind=kind,
                district="浑南区",
                street=street,
                lat=41.74,
                lon=123.45,
                property_org_id=org.id if org else None,
                profile=merged,
            )
        )

    def user(
        self, role: str, org: Organization | None = None, username: str | None = None, password: str = PASSWORD
    ) -> User:
        return self._add(
            User(
                username=username or f"{role}{next(_seq)}",
                role=role,
                organization_id=org.id if org else None,
                password_hash=self.app.state.hasher.hash(password),
            )
        )

    def officer(self, *sites: Site, visits_per_week: int = 1) -> User:
        officer = self.user("officer")
        for site in sites:
            self._add(Assignment(officer_id=officer.id, site_id=site.id, visits_per_week=visits_per_week))
        return officer

    def gridworker(self, *sites: Site) -> User:
        """A grid worker (网格员) who reports at `sites`."""
        from server.intake.models import GridAssignment

        worker = self.user("gridworker")
        for site in sites:
            self._add(GridAssignment(user_id=worker.id, site_id=site.id))
        return worker

    def admin(self) -> User:
        return self.user("admin")

    def headers(self, user: User) -> dict[str, str]:
        token = security.create_token(
            secret=self.app.state.token_secret, user_id=user.id, kind="access", lifetime=timedelta(minutes=30)
        )
        return {"Authorization": f"Bearer {token}"}

    def template(self, category: str) -> ChecklistTemplate:
        return self.app.state.checklists.current[category]

    def photo(self, user: User, kind: str = "problem", **fields: Any) -> str:
        """Upload a small real JPEG through the API as `user`; returns the new photo's id."""
        photo_id = str(uuid.uuid4())
        response = self.client.put(
            f"/api/v1/photos/{photo_id}",
            headers=self.headers(user),
            files={"file": ("photo.jpg", small_jpeg(), "image/jpeg")},
            data={"kind": kind, **{k: str(v) for k, v in fields.items()}},
        )
        assert response.status_code == 201, response.text
        return photo_id

    def _site_officer(self, site: Site) -> User:
        with self.session() as s:
            officer = s.exec(
                select(User).join(Assignment, Assignment.officer_id == User.id).where(Assignment.site_id == site.id)
            ).first()
        return officer or self.admin()

    def inspection_body(
        self,
        site: Site,
        category: str = "gas",
        fail: tuple[str, ...] = (),
        photo: bool = True,
        finished_at=None,
        officer: User | None = None,  # type: ignore[no-untyped-def]
        **extra: Any,
    ) -> dict[str, Any]:
        """A complete, valid submission: every applicable item answered, `fail` items failed with a real
        photo uploaded by `officer` (default: the officer assigned to the site)."""
        template = self.template(category)
        if fail and photo:
            officer = officer or self._site_officer(site)
        finished = finished_at or utcnow() - timedelta(minutes=5)
        answers = []
        for item in template.items_for(site.profile):
            failed = item.id in fail
            answers.append(
                {
                    "item_id": item.id,
                    "result": "fail" if failed else "pass",
                    "note": "现场发现问题" if failed else None,
                    "photo_ids": [self.photo(officer, "problem")] if failed and photo else [],
                }
            )
        body = {
            "site_id": str(site.id),
            "category": category,
            "template_version": template.version,
            "started_at": (finished - timedelta(minutes=20)).isoformat(),
            "finished_at": finished.isoformat(),
            "lat": 41.74,
            "lon": 123.45,
            "answers": answers,
        }
        body.update(extra)
        return body


def _for_app(cls, app, client):  # type: ignore[no-untyped-def]
    """A World over an app on a live server; `client` is an httpx.Client with that server's base_url."""
    world = cls.__new__(cls)
    world.client = client
    world.app = app
    return world


World.for_app = classmethod(_for_app)  # type: ignore[attr-defined]
