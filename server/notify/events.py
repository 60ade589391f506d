"""Events → outbox rows, written by the caller's unit of work (a rollback sends nothing, a commit loses nothing).

Who hears of what: a company its notices and deadlines; the site's officers deadlines, escalation level 1 and
evidence to verify; the street's coordinators level 1; the district coordinators level 2 and weekly reports.
Each subscription picks its events; quiet hours hold messages to people back, except for red hazards."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, true
from sqlmodel import Session, select

from server.common import utcnow
from server.config import Settings
from server.notify.models import PEOPLE_CHANNELS, OutboxMessage, Subscription
from server.notify.templates import render_message
from server.sites.models import Assignment, Site
from server.users.models import Organization, Role, User

MESSAGE_NAMESPACE = uuid.UUID("6f0d3c59-4f0e-4a55-9d7e-5a4e0f2b7c11")


def message_id(event: str, event_key: str, subscription_id: uuid.UUID) -> uuid.UUID:
    """The idempotency key: the same event to the same subscription is always the same message."""
    return uuid.uuid5(MESSAGE_NAMESPACE, f"{event}:{event_key}:{subscription_id}")


# ---- who ---------------------------------------------------------------------------------------------------


def company(organization_id: uuid.UUID | None) -> ColumnElement[bool]:
    return Subscription.organization_id == organization_id


def site_officers(site_id: uuid.UUID) -> ColumnElement[bool]:
    return Subscription.user_id.in_(select(Assignment.officer_id).where(Assignment.site_id == site_id))


def _coordinators() -> ColumnElement[bool]:
    return and_(Subscription.organization_id.is_(None), Subscription.user_id.is_(None))


def street_coordinators(street: str) -> ColumnElement[bool]:
    return and_(_coordinators(), Subscription.street == street)


def district_coordinators() -> ColumnElement[bool]:
    admins = select(User.id).where(User.role == Role.admin.value, User.is_active)
    return or_(and_(_coordinators(), Subscription.street.is_(None)), Subscription.user_id.in_(admins))


def subscribers(session: Session, event: str, *audiences: ColumnElement[bool]) -> list[Subscription]:
    if not audiences:
        return []
    found = session.exec(
        select(Subscription).where(Subscription.active, or_(*audiences)).order_by(Subscription.id)
    ).all()
    return [s for s in found if event in s.events]


# ---- when --------------------------------------------------------------------------------------------------


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_hours_end(now: datetime, settings: Settings) -> datetime | None:
    """If `now` falls in the quiet hours (e.g. "22:00-07:00", deployment zone), when they end; else None."""
    if not settings.quiet_hours:
        return None
    start, end = (_clock(part) for part in settings.quiet_hours.split("-"))
    local = now.astimezone(settings.tz)
    at = local.time()
    inside = (start <= at < end) if start < end else (at >= start or at < end)
    if not inside:
        return None
    end_day = local.date() if at < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=settings.tz).astimezone(now.tzinfo)


# ---- what --------------------------------------------------------------------------------------------------


def enqueue(
    session: Session,
    settings: Settings,
    *,
    event: str,
    event_key: str,
    subscriptions: Iterable[Subscription],
    params: dict[str, Any],
    data: dict[str, Any],
    urgent: bool = False,
    now: datetime | None = None,
    written_before: set[uuid.UUID] | None = None,
) -> int:
    """One outbox row per subscription (none twice for the same event); the number written. A caller that
    writes many events gives `written_before`, the ids of those already in the outbox (one query for all)."""
    now = now or utcnow()
    quiet_end = None if urgent else quiet_hours_end(now, settings)
    written = 0
    for sub in subscriptions:
        mid = message_id(event, event_key, sub.id)
        if written_before is not None:
            if mid in written_before:
                continue
            written_before.add(mid)
        elif session.get(OutboxMessage, mid) is not None:
            continue
        subject, body = render_message(event, params, sub.language)
        due = quiet_end if quiet_end and sub.channel in PEOPLE_CHANNELS else now
        session.add(
            OutboxMessage(
                id=mid,
                event=event,
                event_key=event_key,
                subscription_id=sub.id,
                channel=sub.channel,
                target=sub.target,
                payload={"subject": subject, "body": body, "link": params.get("link"), "data": data},
                occurred_at=now,
                next_attempt_at=due,
                window_started_at=due,
                created_at=now,
            )
        )
        written += 1
    return written


def _local(at: datetime, settings: Settings) -> str:
    return at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")


def _link(settings: Settings, path: str) -> str:
    return f"{settings.console_base_url.rstrip('/')}{path}"


def _hazard_params(
    session: Session, settings: Settings, hazard: Any, loaded: dict[Any, Any] | None = None
) -> tuple[Site | None, dict[str, Any]]:
    """The template's parameters; `loaded` (sites and organizations by id) spares a query per hazard."""
    if loaded is not None:
        site, org = loaded.get(hazard.site_id), loaded.get(hazard.organization_id)
    else:
        site = session.get(Site, hazard.site_id)
        org = session.get(Organization, hazard.organization_id) if hazard.organization_id else None
    params = {
        "site": site.name if site else "",
        "category": hazard.category,
        "severity": hazard.severity,
        "status": hazard.status,
        "deadline": _local(hazard.deadline, settings),
        "description": hazard.description,
        "organization": org.name if org else "",
        "link": _link(settings, f"/hazards/{hazard.id}"),
    }
    return site, params


def _hazard_data(hazard: Any) -> dict[str, Any]:
    return {
        "hazard_id": str(hazard.id),
        "site_id": str(hazard.site_id),
        "category": hazard.category,
        "item_id": hazard.item_id,
        "severity": hazard.severity,
        "status": hazard.status,
        "deadline": hazard.deadline.isoformat(),
        "organization_id": str(hazard.organization_id) if hazard.organization_id else None,
        "escalation_level": hazard.escalation_level,
    }


def notice_issued(*, session: Session, settings: Settings, notice: Any, hazards: list[Any]) -> int:
    """A notice to a company: its contacts hear of it."""
    org = session.get(Organization, notice.organization_id)
    sites = session.exec(select(Site.name).where(Site.id.in_({h.site_id for h in hazards}))).all()
    params = {
        "number": notice.number,
        "count": len(hazards),
        "deadline": _local(notice.deadline, settings),
        "organization": org.name if org else "",
        "sites": "、".join(sorted(sites)),
        "hazards": "、".join(dict.fromkeys(h.description or h.category for h in hazards)),
        "link": _link(settings, f"/notices/{notice.id}"),
    }
    data = {
        "notice_id": str(notice.id),
        "number": notice.number,
        "organization_id": str(notice.organization_id),
        "deadline": notice.deadline.isoformat(),
        "hazard_ids": [str(h.id) for h in hazards],
    }
    return enqueue(
        session,
        settings,
        event="notice_issued",
        event_key=str(notice.id),
        subscriptions=subscribers(session, "notice_issued", company(notice.organization_id)),
        params=params,
        data=data,
        urgent=any(h.severity == "red" for h in hazards),
    )


def evidence_submitted(*, session: Session, settings: Settings, hazard: Any, step_id: uuid.UUID) -> int:
    """The company sent its evidence: the site's officers have something to verify."""
    _, params = _hazard_params(session, settings, hazard)
    return enqueue(
        session,
        settings,
        event="evidence_submitted",
        event_key=str(step_id),
        subscriptions=subscribers(session, "evidence_submitted", site_officers(hazard.site_id)),
        params=params,
        data={**_hazard_data(hazard), "transition_id": str(step_id)},
        urgent=hazard.severity == "red",
    )


def escalated(*, session: Session, settings: Settings, hazard: Any, level: int) -> int:
    """Overdue: level 1 to the officers and the street's coordinators, level 2 to the district's."""
    site, params = _hazard_params(session, settings, hazard)
    if level == 1:
        audiences = [site_officers(hazard.site_id), street_coordinators(site.street if site else "")]
    else:
        audiences = [district_coordinators()]
    return enqueue(
        session,
        settings,
        event="escalated",
        event_key=f"{hazard.id}:{hazard.deadline.isoformat()}:{level}",
        subscriptions=subscribers(session, "escalated", *audiences),
        params={**params, "level": level},
        data={**_hazard_data(hazard), "escalation_level": level},
        urgent=hazard.severity == "red",
    )


def escalated_many(*, session: Session, settings: Settings, steps: list[tuple[Any, int, int]]) -> int:
    """escalated() for each level each hazard passed ((hazard, from level, to level); 0 -> 2 tells level 1's
    people too), with a handful of queries for the whole round instead of a few per hazard."""
    subs = subscribers(session, "escalated", true())
    passed = [(hazard, level) for hazard, old, new in steps for level in range(old + 1, new + 1)]
    if not subs or not passed:
        return 0
    site_ids = {hazard.site_id for hazard, _ in passed}
    org_ids = {hazard.organization_id for hazard, _ in passed if hazard.organization_id}
    sites = {s.id: s for s in session.exec(select(Site).where(Site.id.in_(site_ids))).all()}
    orgs = session.exec(select(Organization).where(Organization.id.in_(org_ids))).all() if org_ids else []
    loaded: dict[Any, Any] = {**sites, **{o.id: o for o in orgs}}
    officers: dict[uuid.UUID, set[uuid.UUID]] = {}
    for site_id, officer_id in session.exec(
        select(Assignment.site_id, Assignment.officer_id).where(Assignment.site_id.in_(site_ids))
    ).all():
        officers.setdefault(site_id, set()).add(officer_id)
    admins = set(session.exec(select(User.id).where(User.role == Role.admin.value, User.is_active)).all())
    keys = sorted({f"{hazard.id}:{hazard.deadline.isoformat()}:{level}" for hazard, level in passed})
    before: set[uuid.UUID] = set()
    for start in range(0, len(keys), 5000):  # within SQLite's limit of bound parameters
        chunk = keys[start : start + 5000]
        before.update(
            session.exec(
                select(OutboxMessage.id).where(OutboxMessage.event == "escalated", OutboxMessage.event_key.in_(chunk))
            ).all()
        )
    # Who hears what, as in escalated(): level 1 the site's officers and the street's coordinators, level 2
    # the district's coordinators and the admins; each subscription once, in id order.
    order = {sub.id: i for i, sub in enumerate(subs)}
    personal: dict[uuid.UUID, list[Subscription]] = {}
    by_street: dict[str | None, list[Subscription]] = {}
    for sub in subs:
        if sub.user_id is not None:
            personal.setdefault(sub.user_id, []).append(sub)
        elif sub.organization_id is None:
            by_street.setdefault(sub.street, []).append(sub)

    def audience(users: Iterable[uuid.UUID], coordinators: list[Subscription]) -> list[Subscription]:
        chosen = {sub.id: sub for user in users for sub in personal.get(user, [])}
        chosen.update((sub.id, sub) for sub in coordinators)
        return sorted(chosen.values(), key=lambda sub: order[sub.id])

    district = audience(admins, by_street.get(None, []))
    written = 0
    for hazard, level in passed:
        if level == 1:
            site = sites.get(hazard.site_id)
            chosen = audience(officers.get(hazard.site_id, set()), by_street.get(site.street if site else "", []))
        else:
            chosen = district
        _, params = _hazard_params(session, settings, hazard, loaded)
        written += enqueue(
            session,
            settings,
            event="escalated",
            event_key=f"{hazard.id}:{hazard.deadline.isoformat()}:{level}",
            subscriptions=chosen,
            params={**params, "level": level},
            data={**_hazard_data(hazard), "escalation_level": level},
            urgent=hazard.severity == "red",
            written_before=before,
        )
    return written


def deadline_soon(*, session: Session, settings: Settings, hazard: Any) -> int:
    """Due within the warning window: the company and the site's officers (once per deadline)."""
    _, params = _hazard_params(session, settings, hazard)
    return enqueue(
        session,
        settings,
        event="deadline_soon",
        event_key=f"{hazard.id}:{hazard.deadline.isoformat()}",
        subscriptions=subscribers(
            session, "deadline_soon", company(hazard.organization_id), site_officers(hazard.site_id)
        ),
        params=params,
        data=_hazard_data(hazard),
        urgent=hazard.severity == "red",
    )


def weekly_report_ready(*, session: Session, settings: Settings, week: str, scope: str = "all") -> int:
    """The hook for the weekly report (built elsewhere): the coordinators hear it is ready."""
    return enqueue(
        session,
        settings,
        event="weekly_report",
        event_key=f"{week}:{scope}",
        subscriptions=subscribers(session, "weekly_report", district_coordinators(), _coordinators()),
        params={"week": week, "link": _link(settings, f"/reports/{week}")},
        data={"period": week, "scope": scope},
    )


def report_received(*, session: Session, settings: Settings, report: Any) -> int:
    """A report landed in the intake queue: the site's officers hear of it."""
    site = session.get(Site, report.site_id)
    params = {
        "site": site.name if site else "",
        "category": report.category,
        "description": report.description,
        "link": _link(settings, f"/intake/{report.id}"),
    }
    data = {
        "intake_id": str(report.id),
        "site_id": str(report.site_id),
        "category": report.category,
        "source": report.source,
        "external_id": report.external_id,
    }
    return enqueue(
        session,
        settings,
        event="report_received",
        event_key=str(report.id),
        subscriptions=subscribers(session, "report_received", site_officers(report.site_id)),
        params=params,
        data=data,
    )


OUTCOME_NAMES = {
    "resolved": {"zh": "已办结", "en": "resolved"},
    "declined": {"zh": "不予受理", "en": "declined"},
}


def report_outcome(
    *, session: Session, settings: Settings, report: Any, subscription: Subscription, outcome: str, reason: str = ""
) -> int:
    """Tell the platform that filed a work order how it ended (its callback subscription, signed like any webhook)."""
    site = session.get(Site, report.site_id)
    params = {
        "order_id": report.external_id,
        "site": site.name if site else "",
        "category": report.category,
        "outcome": OUTCOME_NAMES[outcome][subscription.language if subscription.language == "en" else "zh"],
        "reason": reason,
        "link": _link(settings, f"/intake/{report.id}"),
    }
    data = {
        "order_id": report.external_id,
        "intake_id": str(report.id),
        "status": outcome,
        "reason": reason or None,
        "hazard_id": str(report.hazard_id) if report.hazard_id else None,
    }
    return enqueue(
        session,
        settings,
        event="report_outcome",
        event_key=f"{report.id}:{outcome}",
        subscriptions=[subscription] if subscription.active else [],
        params=params,
        data=data,
    )
