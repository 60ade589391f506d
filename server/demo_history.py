"""A year of demo history for the console: rounds, hazards in every state (overdue too), notices, trainings.

Deterministic (a seeded Random over the sites, weeks and categories) and fast: rows are written in one unit
of work with bulk inserts, the way a migration from an earlier system would load them. Hazards and notices
get their history steps and a place in the changes feed like any other; photos and audit events are left
to the live demo rounds (server/demo.py), which go through the services."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, time, timedelta

from sqlalchemy import insert
from sqlmodel import Session

from rulebook.hazards import failed_item_description, hazard_id_for
from rulebook.joint import REVISIT_SEVERITIES
from rulebook.lifecycle import FINISHED_STATUSES
from server.checklists.service import ChecklistRegistry
from server.config import Settings
from server.db import write_unit
from server.hazards.history import creation_step_id, notice_step_id
from server.hazards.models import Hazard, HazardTransition
from server.hazards.service import default_deadline
from server.inspections.models import Inspection
from server.notices.models import Notice, NoticeHazard
from server.notices.service import next_notice_number
from server.revisits.due import due_on as hazard_closed_due_on
from server.revisits.due import revisit_id_for
from server.revisits.models import Revisit
from server.rounds.service import due_categories
from server.sites.models import Site
from server.sync.changes import next_stamp
from server.trainings.models import TrainingSession
from server.users.models import User

WEEKS = 53  # a year and a week: last year's same week exists for 同比
ROUND_SHARE = 0.86  # share of due category-rounds walked
FAIL_SHARE = 0.04  # share of walked rounds with a failed item
NOTES = ["现场发现，已拍照留证", "与物业负责人当面确认", "居民反映后复核属实", "联合检查中发现"]
TRAINERS = ["消防救援站 赵教官", "燃气公司 孙工", "街道应急办 周科长", "社区安全员"]


def seed_history(
    *,
    session: Session,
    settings: Settings,
    registry: ChecklistRegistry,
    now: datetime,
    sites: list[Site],
    officer_of: dict[uuid.UUID, User],
    property_user_of: dict[uuid.UUID, User],
) -> dict[str, int]:
    rnd = random.Random(20261126)
    tz = settings.tz
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    inspections: list[dict] = []
    hazards: list[dict] = []
    steps: list[dict] = []
    notices: list[dict] = []
    links: list[dict] = []
    trainings: list[dict] = []

    def at(day, hour: int, minute: int) -> datetime:
        return datetime.combine(day, time(hour, minute), tz)

    with write_unit(session):
        for site in sites:
            officer = officer_of[site.id]
            due = due_categories(registry, site.profile)
            for week in range(WEEKS, -1, -1):  # this week: the days before today (today is walked live)
                week_monday = monday - timedelta(weeks=week)
                days = 5 if week else min(5, today.weekday())
                day = week_monday + timedelta(days=rnd.randrange(days)) if days else None  # one visit a week
                for category in due:
                    if day is None or rnd.random() > ROUND_SHARE:
                        continue
                    finished = at(day, rnd.randrange(8, 17), rnd.randrange(60))
                    items = registry.current[category].items_for(site.profile)
                    failed = items[rnd.randrange(len(items))] if rnd.random() < FAIL_SHARE else None
                    note = rnd.choice(NOTES)
                    inspection_id = uuid.UUID(int=rnd.getrandbits(128), version=4)
                    inspections.append(
                        {
                            "id": inspection_id,
                            "site_id": site.id,
                            "category": category,
                            "template_version": registry.current[category].version,
                            "inspector_id": officer.id,
                            "started_at": finished - timedelta(minutes=20),
                            "finished_at": finished,
                            "lat": site.lat,
                            "lon": site.lon,
                            "answers": [
                                {
                                    "item_id": item.id,
                                    "result": "fail" if item is failed else "pass",
                                    "note": note if item is failed else None,
                                    "photo_ids": [],
                                }
                                for item in items
                            ],
                            "request_hash": "demo",
                            "created_at": finished,
                        }
                    )
                    if failed is not None:
                        hazard = _hazard(rnd, settings, site, officer, inspection_id, category, failed, finished, note)
                        _lifecycle(
                            rnd,
                            session,
                            hazard,
                            site,
                            officer,
                            property_user_of.get(site.property_org_id),
                            now,
                            steps,
                            notices,
                            links,
                        )
                        hazards.append(hazard)
            for month in range(12):
                day = today - timedelta(days=30 * month + rnd.randrange(1, 28))
                held = at(day, rnd.choice((9, 14, 19)), 0)
                trainings.append(
                    {
                        "id": uuid.UUID(int=rnd.getrandbits(128), version=4),
                        "site_id": site.id,
                        "held_at": held,
                        "topics": rnd.sample(due, k=min(2, len(due))),
                        "trainer": rnd.choice(TRAINERS),
                        "attendee_count": rnd.randrange(12, 80),
                        "duration_minutes": rnd.choice((45, 60, 90, 120)),
                        "notes": "居民安全知识宣讲",
                        "photo_ids": [],
                        "officer_id": officer.id,
                        "request_hash": "demo",
                        "created_at": held,
                    }
                )
        revisits = _joint_and_revisits(settings, inspections, hazards, officer_of, now)
        for notice in sorted(notices, key=lambda n: n["issued_at"]):  # numbers follow the order of issue
            notice["number"] = next_notice_number(session, notice["issued_at"].astimezone(tz).year)
        for table, rows in (
            (Inspection, inspections),
            (Hazard, hazards),
            (Notice, notices),
            (NoticeHazard, links),
            (HazardTransition, steps),
            (TrainingSession, trainings),
            (Revisit, revisits),
        ):
            for start in range(0, len(rows), 2000):
                session.execute(insert(table), rows[start : start + 2000])
    return {
        "inspections": len(inspections),
        "hazards": len(hazards),
        "notices": len(notices),
        "trainings": len(trainings),
        "revisits": len(revisits),
    }


JOINT_SHARE = 0.06  # share of rounds walked with people from other units (联查联检)
JOINT_PEOPLE = [
    ("police", "王警官"),
    ("building", "住建局 孙工"),
    ("market", "市场监管所 刘芳"),
    ("housing", "房产局 周科长"),
]


def _joint_and_revisits(settings, inspections, hazards, officer_of, now) -> list[dict]:  # type: ignore[no-untyped-def]
    """Some rounds were joint inspections; closed red hazards are due for their revisit, those whose day
    came more than a week ago already answered. A Random of its own, so the rest of the history stays as it was."""
    rnd = random.Random(20261128)
    for inspection in inspections:
        joint = rnd.random() < JOINT_SHARE
        people = rnd.sample(JOINT_PEOPLE, k=rnd.randrange(1, 3)) if joint else []
        inspection["participants"] = [{"unit": unit, "name": name} for unit, name in people]
    today = now.astimezone(settings.tz).date()
    revisits = []
    for hazard in hazards:
        if hazard["status"] != "closed" or hazard["severity"] not in REVISIT_SEVERITIES:
            continue
        due_on = hazard_closed_due_on(hazard["closed_at"], settings)
        # answered within the week it fell due; those of the last days wait for the officer
        answered = due_on <= today - timedelta(days=7) or (due_on <= today and rnd.random() < 0.5)
        answered_at = (
            min(now, datetime.combine(due_on + timedelta(days=rnd.randrange(0, 4)), time(10), settings.tz))
            if answered
            else None
        )
        revisits.append(
            {
                "id": revisit_id_for(hazard["id"]),
                "hazard_id": hazard["id"],
                "site_id": hazard["site_id"],
                "closed_at": hazard["closed_at"],
                "due_on": due_on,
                "status": "confirmed" if answered else "due",
                "answered_by": officer_of[hazard["site_id"]].id if answered else None,
                "answered_at": answered_at,
                "photo_id": None,
                "note": "回访确认整改有效" if answered else None,
                "created_at": hazard["closed_at"],
                "updated_at": answered_at or hazard["closed_at"],
            }
        )
    return revisits


def _hazard(rnd, settings, site, officer, inspection_id, category, item, found, note) -> dict:  # type: ignore[no-untyped-def]
    return {
        "id": hazard_id_for(inspection_id, item.id),
        "site_id": site.id,
        "category": category,
        "item_id": item.id,
        "inspection_id": inspection_id,
        "severity": item.severity_on_fail,
        "status": "open",
        "version": 1,
        "deadline": default_deadline(found_at=found, severity=item.severity_on_fail, settings=settings),
        "organization_id": site.property_org_id,
        "description": failed_item_description(item.prompt.zh, note),
        "reported_by": officer.id,
        "found_at": found,
        "escalation_level": 0,
        "request_hash": None,
        "created_at": found,
        "updated_at": found,
        "closed_at": None,
        "change_seq": 0,
        "change_xid": 0,
    }


def _lifecycle(rnd, session, hazard, site, officer, staff, now, steps, notices, links) -> None:  # type: ignore[no-untyped-def]
    """Walk the hazard along the lifecycle as far as its age and a die allow; every step is a history row."""
    found = hazard["found_at"]
    moment = found

    def step(action: str, to: str, when: datetime, actor, step_id=None, note=None) -> None:  # type: ignore[no-untyped-def]
        steps.append(
            {
                "id": step_id or uuid.uuid5(hazard["id"], f"demo:{action}:{len(steps)}"),
                "hazard_id": hazard["id"],
                "action": action,
                "from_status": hazard["status"],
                "to_status": to,
                "actor_id": actor.id if actor else None,
                "note": note,
                "photo_ids": [],
                "request_hash": None,
                "result": {},
                "created_at": when,
            }
        )
        hazard["status"] = to
        hazard["version"] += 1 if action != "raise" else 0
        hazard["updated_at"] = when
        if to in FINISHED_STATUSES:
            hazard["closed_at"] = when

    step("raise", "open", found, officer, step_id=creation_step_id(hazard["id"]))
    hazard["status"] = "open"
    die = rnd.random()
    age_days = (now - found).days

    def later(hours_low: int, hours_high: int) -> datetime | None:
        nonlocal moment
        moment = moment + timedelta(hours=rnd.randrange(hours_low, hours_high))
        return moment if moment < now else None

    if age_days < 10 and rnd.random() < 0.4:
        pass  # found in the last days and not dealt with yet
    elif die < 0.06 and (when := later(1, 30)):
        step("cancel", "cancelled", when, officer, note="重复上报")
    elif (die < 0.22 or site.property_org_id is None) and (when := later(0, 2)):
        step("fix_on_spot", "closed", when, officer, note="现场已整改")
    elif site.property_org_id is not None and (when := later(2, 30)):
        notice_id = uuid.uuid5(hazard["id"], "demo-notice")
        notices.append(
            {
                "id": notice_id,
                "number": None,  # numbered in order of issue once all are made (seed_history)
                "organization_id": site.property_org_id,
                "deadline": hazard["deadline"],
                "basis": "《中华人民共和国安全生产法》及相关标准",
                "note": None,
                "issued_by": officer.id,
                "issued_at": when,
                "acknowledged_at": None,
                "acknowledged_by": None,
                "request_hash": "demo",
                **dict(zip(("change_seq", "change_xid"), next_stamp(session), strict=True)),
            }
        )
        links.append({"notice_id": notice_id, "hazard_id": hazard["id"]})
        step("notify", "notified", when, officer, step_id=notice_step_id(notice_id, hazard["id"], "notify"))
        stays = rnd.random() < (0.01 if age_days > 40 else 0.35)  # some stop here: unsigned, late, unverified
        if not stays and (when := later(3, 60)):
            notices[-1]["acknowledged_at"] = when
            notices[-1]["acknowledged_by"] = staff.id if staff else None
            step(
                "acknowledge", "rectifying", when, staff, step_id=notice_step_id(notice_id, hazard["id"], "acknowledge")
            )
            stays = rnd.random() < (0.01 if age_days > 40 else 0.3)
            if not stays and (when := later(24, 24 * 6)):
                step("submit_evidence", "awaiting_verification", when, staff, note="已更换并附整改照片")
                stays = rnd.random() < (0.01 if age_days > 40 else 0.3)
                if not stays and (when := later(4, 48)):
                    if age_days <= 40 and rnd.random() < 0.3:
                        step("reject", "rectifying", when, officer, note="整改不到位，请重新整改")
                    else:
                        step("verify", "closed", when, officer, note="复查合格，予以销号")
    hazard["change_seq"], hazard["change_xid"] = next_stamp(session)
    level2 = now - timedelta(days=3)
    if hazard["status"] not in FINISHED_STATUSES and hazard["deadline"] < now:
        hazard["escalation_level"] = 2 if hazard["deadline"] <= level2 else 1
