"""Sites and round assignments."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from server.audit import service as audit
from server.common import utcnow
from server.db import write_unit
from server.errors import Conflict, Invalid, not_found
from server.paging import cut, keyset
from server.scope import site_condition
from server.sites.models import Assignment, AssignmentCreate, AssignmentUpdate, Site, SiteCreate, SiteUpdate
from server.users.models import Organization, Role, User


def _check_property_org(session: Session, org_id: uuid.UUID | None) -> None:
    if org_id is None:
        return
    org = session.get(Organization, org_id)
    if org is None or org.kind != "property":
        raise Invalid("unknown_organization", field="property_org_id")


def create_site(*, session: Session, data: SiteCreate, actor_id: uuid.UUID) -> Site:
    _check_property_org(session, data.property_org_id)
    site = Site(**data.model_dump(exclude={"profile"}), profile=data.profile.model_dump())
    with write_unit(session):
        session.add(site)
        audit.record(session=session, actor_id=actor_id, action="create", target_type="site", target_id=site.id)
    return site


def update_site(*, session: Session, site_id: uuid.UUID, data: SiteUpdate, actor_id: uuid.UUID) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise not_found("site")
    changes = data.model_dump(exclude_unset=True)
    if "property_org_id" in changes:
        _check_property_org(session, changes["property_org_id"])
    with write_unit(session):
        site = session.get(Site, site_id, with_for_update=True, populate_existing=True) or site
        for key, value in changes.items():
            setattr(site, key, value)
        site.updated_at = utcnow()
        session.add(site)
        audit.record(
            session=session,
            actor_id=actor_id,
            action="update",
            target_type="site",
            target_id=site.id,
            detail={"fields": sorted(changes)},
        )
    return site


def list_sites(*, session: Session, user: User) -> list[Site]:
    return list(
        session.exec(select(Site).where(site_condition(user)).order_by(Site.district, Site.street, Site.name)).all()
    )


def page_sites(*, session: Session, user: User, cursor: str | None, limit: int) -> tuple[list[Site], str | None]:
    query = keyset(select(Site).where(site_condition(user)), Site.name, Site.id, cursor=cursor, limit=limit)
    return cut(session.exec(query).all(), limit, "name")


def get_site(*, session: Session, user: User, site_id: uuid.UUID) -> Site:
    site = session.exec(select(Site).where(Site.id == site_id, site_condition(user))).first()
    if site is None:
        raise not_found("site")
    return site


def create_assignment(*, session: Session, data: AssignmentCreate, actor_id: uuid.UUID) -> Assignment:
    officer = session.get(User, data.officer_id)
    if officer is None or officer.role != Role.officer.value:
        raise Invalid("unknown_officer")
    if session.get(Site, data.site_id) is None:
        raise Invalid("unknown_site", site_id=str(data.site_id))
    assignment = Assignment(**data.model_dump())
    try:
        with write_unit(session):
            session.add(assignment)
            audit.record(
                session=session, actor_id=actor_id, action="create", target_type="assignment", target_id=assignment.id
            )
    except IntegrityError:
        raise Conflict("already_assigned") from None
    return assignment


def update_assignment(
    *, session: Session, assignment_id: uuid.UUID, data: AssignmentUpdate, actor_id: uuid.UUID
) -> Assignment:
    with write_unit(session):
        assignment = session.get(Assignment, assignment_id, with_for_update=True)
        if assignment is None:
            raise not_found("assignment")
        assignment.visits_per_week = data.visits_per_week
        assignment.updated_at = utcnow()
        session.add(assignment)
        audit.record(
            session=session, actor_id=actor_id, action="update", target_type="assignment", target_id=assignment.id
        )
    return assignment


def delete_assignment(*, session: Session, assignment_id: uuid.UUID, actor_id: uuid.UUID) -> None:
    with write_unit(session):
        assignment = session.get(Assignment, assignment_id, with_for_update=True)
        if assignment is None:
            raise not_found("assignment")
        session.delete(assignment)
        audit.record(
            session=session, actor_id=actor_id, action="delete", target_type="assignment", target_id=assignment_id
        )


def list_assignments(
    *, session: Session, officer_id: uuid.UUID | None = None, site_id: uuid.UUID | None = None
) -> list[Assignment]:
    query = select(Assignment).order_by(Assignment.created_at)
    if officer_id:
        query = query.where(Assignment.officer_id == officer_id)
    if site_id:
        query = query.where(Assignment.site_id == site_id)
    return list(session.exec(query).all())


def page_assignments(
    *, session: Session, officer_id: uuid.UUID | None, site_id: uuid.UUID | None, cursor: str | None, limit: int
) -> tuple[list[Assignment], str | None]:
    query = select(Assignment)
    if officer_id:
        query = query.where(Assignment.officer_id == officer_id)
    if site_id:
        query = query.where(Assignment.site_id == site_id)
    query = keyset(query, Assignment.created_at, Assignment.id, cursor=cursor, limit=limit)
    return cut(session.exec(query).all(), limit, "created_at")


def get_assignment(*, session: Session, assignment_id: uuid.UUID) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise not_found("assignment")
    return assignment
