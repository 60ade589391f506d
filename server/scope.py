"""Who may see what, decided once: each function returns a SQL condition for a query.

A record outside the caller's scope must look exactly like one that does not exist,
so services filter with these and answer NotFound, never Forbidden, for records."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true

from server.hazards.models import Hazard
from server.intake.models import GridAssignment, IntakeReport
from server.sites.models import Assignment, Site
from server.users.models import Role, User


def assigned_site_ids(user: User):  # type: ignore[no-untyped-def]
    return select(Assignment.site_id).where(Assignment.officer_id == user.id)


# Above this many sites an officer's list is one query over the scope condition, not one seek per site.
SEEKS_PER_SITE_UP_TO = 50


def officer_site_ids(session, user: User) -> list | None:  # type: ignore[no-untyped-def]
    """An officer's assigned sites, for lists that seek one index range per site (server/paging.py);
    None for everyone else, or for an officer with more sites than it is worth seeking one by one."""
    if user.role != Role.officer:
        return None
    ids = list(session.execute(assigned_site_ids(user).limit(SEEKS_PER_SITE_UP_TO + 1)).scalars())
    return ids if len(ids) <= SEEKS_PER_SITE_UP_TO else None


def grid_site_ids(user: User):  # type: ignore[no-untyped-def]
    return select(GridAssignment.site_id).where(GridAssignment.user_id == user.id)


def reported_hazard_ids(user: User):  # type: ignore[no-untyped-def]
    """The hazards a grid worker's own reports became (or were merged into)."""
    return select(IntakeReport.hazard_id).where(
        IntakeReport.reporter_id == user.id, IntakeReport.hazard_id.is_not(None)
    )


def site_condition(user: User, site_id_column=Site.id) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    """Sites a user works with: all (admin), assigned (officer, grid worker), managed by their company (property)."""
    if user.role == Role.admin:
        return true()
    if user.role == Role.officer:
        return site_id_column.in_(assigned_site_ids(user))
    if user.role == Role.gridworker:
        return site_id_column.in_(grid_site_ids(user))
    if user.organization_id is None:
        return false()
    return site_id_column.in_(select(Site.id).where(Site.property_org_id == user.organization_id))


def hazard_condition(user: User) -> ColumnElement[bool]:
    if user.role == Role.admin:
        return true()
    if user.role == Role.officer:
        return Hazard.site_id.in_(assigned_site_ids(user))
    if user.role == Role.gridworker:  # only what their own reports became
        return Hazard.id.in_(reported_hazard_ids(user))
    if user.organization_id is None:
        return false()
    return Hazard.organization_id == user.organization_id


def fieldwork_condition(user: User, site_id_column) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    """Inspections and trainings: the officers' own records, not shown to property companies."""
    if user.role in (Role.property, Role.gridworker):
        return false()
    return site_condition(user, site_id_column)
