"""Accounts, organizations, sign-in with throttling."""

from __future__ import annotations

import uuid

from pwdlib import PasswordHash
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from rulebook.passwords import password_problem
from server.audit import service as audit
from server.common import utcnow
from server.db import write_unit
from server.errors import Conflict, Invalid, from_rule, not_found
from server.paging import cut, keyset
from server.sites.models import Assignment
from server.users.models import (
    Organization,
    OrganizationCreate,
    OrganizationUpdate,
    Role,
    User,
    UserCreate,
    UserUpdate,
)


def site_ids_for(*, session: Session, user: User) -> list[uuid.UUID]:
    from server.scope import site_condition
    from server.sites.models import Site

    return list(session.exec(select(Site.id).where(site_condition(user)).order_by(Site.name)).all())


def _check_organization(session: Session, role: Role | str, organization_id: uuid.UUID | None) -> None:
    if organization_id is not None and session.get(Organization, organization_id) is None:
        raise Invalid("unknown_organization", field="organization_id")
    if role == Role.property:
        org = session.get(Organization, organization_id) if organization_id else None
        if org is None or org.kind != "property":
            raise Invalid("organization_required")


def check_password(password: str, username: str) -> None:
    problem = password_problem(password, username)
    if problem is not None:
        raise from_rule(problem)


def _refuse_removing_last_admin(session: Session, user: User, changes: dict) -> None:
    """The last active admin may not be demoted or deactivated: nobody could manage the system after."""
    demoted = "role" in changes and changes["role"] != Role.admin
    deactivated = changes.get("is_active") is False
    if user.role != Role.admin.value or not user.is_active or not (demoted or deactivated):
        return
    others = session.exec(
        select(func.count()).select_from(User).where(User.role == Role.admin.value, User.is_active, User.id != user.id)
    ).one()
    if others == 0:
        raise Conflict("last_admin")


def create_user(*, session: Session, hasher: PasswordHash, data: UserCreate, actor_id: uuid.UUID | None) -> User:
    _check_organization(session, data.role, data.organization_id)
    check_password(data.password, data.username)
    password_hash = hasher.hash(data.password)  # before the unit of work: hashing is slow on purpose
    user = User(
        username=data.username,
        password_hash=password_hash,
        role=data.role.value,
        organization_id=data.organization_id,
        display_name=data.display_name,
        language=data.language,
        phone=data.phone,
        duties=data.duties,
        publish_contact=data.publish_contact,
    )
    try:
        with write_unit(session):
            session.add(user)
            audit.record(
                session=session,
                actor_id=actor_id,
                action="create",
                target_type="user",
                target_id=user.id,
                to_state=user.role,
            )
    except IntegrityError:
        raise Conflict("username_taken", username=data.username) from None
    return user


def update_user(
    *, session: Session, hasher: PasswordHash, user_id: uuid.UUID, data: UserUpdate, actor_id: uuid.UUID
) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user")
    changes = data.model_dump(exclude_unset=True)
    role = changes.get("role", user.role)
    org_id = changes.get("organization_id", user.organization_id)
    _check_organization(session, role, org_id)
    if "password" in changes:
        check_password(changes["password"], user.username)
    password_hash = hasher.hash(changes["password"]) if "password" in changes else None  # outside the unit
    with write_unit(session):
        user = session.get(User, user_id, with_for_update=True, populate_existing=True)
        if user is None:
            raise not_found("user")
        _refuse_removing_last_admin(session, user, changes)
        # A new password, another role or a deactivation ends every session the user had.
        if (
            "password" in changes
            or ("role" in changes and changes["role"] != user.role)
            or (changes.get("is_active") is False and user.is_active)
        ):
            user.token_generation += 1
        for key, value in changes.items():
            if key == "password":
                user.password_hash = password_hash
            elif key == "role":
                user.role = value.value if isinstance(value, Role) else value
            else:
                setattr(user, key, value)
        user.updated_at = utcnow()
        session.add(user)
        audit.record(
            session=session,
            actor_id=actor_id,
            action="update",
            target_type="user",
            target_id=user.id,
            detail={
                "fields": sorted(k for k in changes if k != "password")
                + (["password"] if "password" in changes else [])
            },
        )
    return user


def list_users(*, session: Session, role: Role | None = None, organization_id: uuid.UUID | None = None) -> list[User]:
    query = select(User).order_by(User.username)
    if role:
        query = query.where(User.role == role.value)
    if organization_id:
        query = query.where(User.organization_id == organization_id)
    return list(session.exec(query).all())


def page_users(
    *, session: Session, role: Role | None, organization_id: uuid.UUID | None, cursor: str | None, limit: int
) -> tuple[list[User], str | None]:
    query = select(User)
    if role:
        query = query.where(User.role == role.value)
    if organization_id:
        query = query.where(User.organization_id == organization_id)
    query = keyset(query, User.username, User.id, cursor=cursor, limit=limit)
    return cut(session.exec(query).all(), limit, "username")


def page_organizations(*, session: Session, cursor: str | None, limit: int) -> tuple[list[Organization], str | None]:
    query = keyset(select(Organization), Organization.name, Organization.id, cursor=cursor, limit=limit)
    return cut(session.exec(query).all(), limit, "name")


def get_user(*, session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user")
    return user


def update_self(*, session: Session, user: User, changes: dict) -> User:
    with write_unit(session):
        user = session.get(User, user.id, with_for_update=True, populate_existing=True) or user
        for key, value in changes.items():
            setattr(user, key, value)
        user.updated_at = utcnow()
        session.add(user)
        audit.record(
            session=session,
            actor_id=user.id,
            action="update_self",
            target_type="user",
            target_id=user.id,
            detail={"fields": sorted(changes)},
        )
    return user


# ---- organizations ----------------------------------------------------------


def create_organization(*, session: Session, data: OrganizationCreate, actor_id: uuid.UUID) -> Organization:
    org = Organization(**data.model_dump())
    try:
        with write_unit(session):
            session.add(org)
            audit.record(
                session=session, actor_id=actor_id, action="create", target_type="organization", target_id=org.id
            )
    except IntegrityError:
        raise Conflict("name_taken", name=data.name) from None
    return org


def update_organization(
    *, session: Session, organization_id: uuid.UUID, data: OrganizationUpdate, actor_id: uuid.UUID
) -> Organization:
    org = get_organization(session=session, organization_id=organization_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("kind") == "department" and org.kind == "property":
        in_use = session.exec(
            select(User.id).where(User.organization_id == org.id, User.role == Role.property.value)
        ).first()
        if in_use:
            raise Conflict("organization_in_use")
    try:
        with write_unit(session):
            org = session.get(Organization, organization_id, with_for_update=True, populate_existing=True) or org
            for key, value in changes.items():
                setattr(org, key, value)
            org.updated_at = utcnow()
            session.add(org)
            audit.record(
                session=session,
                actor_id=actor_id,
                action="update",
                target_type="organization",
                target_id=org.id,
                detail={"fields": sorted(changes)},
            )
    except IntegrityError:
        raise Conflict("name_taken", name=data.name) from None
    return org


def list_organizations(*, session: Session) -> list[Organization]:
    return list(session.exec(select(Organization).order_by(Organization.name)).all())


def get_organization(*, session: Session, organization_id: uuid.UUID) -> Organization:
    org = session.get(Organization, organization_id)
    if org is None:
        raise not_found("organization")
    return org


def assignments_of(*, session: Session, officer_id: uuid.UUID) -> list[Assignment]:
    return list(session.exec(select(Assignment).where(Assignment.officer_id == officer_id)).all())
