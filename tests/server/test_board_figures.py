"""The board's and the map's figures are what the rows say: every figure of a varied world is counted again
here, row by row in Python, and compared with the API's (whole city, an officer, a street, the map's filters).

The board reads its figures from indexes and bit sets (migration 0015, issue 11); these tests hold it to the
plain meaning of each figure on both databases."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import datetime, time, timedelta

from sqlalchemy import null
from sqlmodel import select

from rulebook import weeks
from rulebook.categories import CATEGORIES, SEVERITIES
from rulebook.lifecycle import OPEN_STATUSES, STATUSES
from server.common import utcnow
from server.hazards.models import Hazard
from server.inspections.models import Inspection
from server.notices.models import Notice
from server.rounds.service import due_categories
from server.sites.models import Assignment, Site
from server.web.site_routes import officers_behind
from tests.server.test_console_pages import browser_sign_in, raise_hazards

API = "/api/v1"
KINDS = (("gas", "red"), ("gas", "yellow"), ("fire", "yellow"), ("electricity", "blue"))


def varied_world(world):
    """Two streets, three sites (one owing fewer categories), two officers sharing a site; hazards of every
    status at a few categories and severities, on time, late and long late, some raised today; notices
    signed and not, old and new; this week's inspections on several local days (two on one day, one just
    before the week, one just after), joint and not (participants NULL, [], named), one of a withdrawn
    checklist."""
    settings = world.app.state.settings
    org = world.org()
    north = world.site(org, street="北陵街道")
    small = world.site(org, street="北陵街道", has_gas=False, has_elevators=False)
    south = world.site(org, street="五三街道")
    first = world.officer(north, small, visits_per_week=2)
    second = world.officer(south)
    with world.session() as s:
        s.add(Assignment(officer_id=second.id, site_id=north.id, visits_per_week=1))  # north: two officers
        s.commit()
    now = utcnow()
    level2 = timedelta(days=settings.escalation_level2_after_days + 1)
    deadlines = [now + timedelta(days=2), now - timedelta(days=1), now - level2]
    created = [now - timedelta(minutes=2), now - timedelta(days=5)]
    n = 0
    with world.session() as s:
        for site in (north, small, south):
            for status in STATUSES:
                for category, severity in KINDS:
                    n += 1
                    if site is small and n % 3 == 0:
                        continue
                    s.add(
                        Hazard(
                            id=uuid.uuid4(),
                            site_id=site.id,
                            category=category,
                            severity=severity,
                            status=status,
                            deadline=deadlines[n % 3],
                            organization_id=org.id,
                            reported_by=first.id,
                            found_at=created[n % 2],
                            created_at=created[n % 2],
                        )
                    )
        days = timedelta(days=1)
        for i, (age, signed) in enumerate([(3 * days, None), (3 * days, now), (1.25 * days, None), (9 * days, None)]):
            s.add(
                Notice(
                    id=uuid.uuid4(),
                    number=f"SR-TEST-{uuid.uuid4().hex[:8]}-{i}",
                    organization_id=org.id,
                    deadline=now,
                    issued_by=first.id,
                    issued_at=now - age,
                    acknowledged_at=signed,
                    request_hash="x",
                )
            )
        week_start, week_end = weeks.week_bounds(weeks.parse_week(weeks.week_of(now, settings.tz)), settings.tz)
        named = [{"unit": "police", "name": "王警官"}]
        visits = [
            # (site, officer, category, local day of the week, hour, participants)
            (north, first, "gas", 0, 9, []),
            (north, first, "fire", 0, 15, named),  # a second visit the same local day
            (north, second, "electricity", 2, 10, None),
            (north, second, "retired", 3, 10, []),  # a checklist since withdrawn
            (small, first, "fire", 1, 23, named),
            (small, first, "electricity", 6, 0, "null"),
            (south, second, "gas", 4, 8, named),
            (south, second, "gas", -1, 23, named),  # last week
            (south, second, "fire", 7, 0, named),  # next week
        ]
        for site, officer, category, day, hour, participants in visits:
            finished = week_start + timedelta(days=day, hours=hour, minutes=30)
            s.add(
                Inspection(
                    id=uuid.uuid4(),
                    site_id=site.id,
                    category=category,
                    template_version=1,
                    inspector_id=officer.id,
                    started_at=finished - timedelta(minutes=20),
                    finished_at=finished,
                    answers=[],
                    request_hash="x",
                    participants=(null() if participants is None else None if participants == "null" else participants),
                )
            )
        s.commit()
    return {"org": org, "first": first, "second": second, "north": north, "small": small, "south": south}


def expected_board(world, *, site_ids=None, own=None) -> dict:
    """The figures, counted from every row of the tables (`site_ids`: the scope; `own`: an officer's visits)."""
    settings = world.app.state.settings
    registry = world.app.state.checklists
    now = utcnow()
    with world.session() as s:
        sites = [site for site in s.exec(select(Site)).all() if site_ids is None or site.id in site_ids]
        hazards = [h for h in s.exec(select(Hazard)).all() if site_ids is None or h.site_id in site_ids]
        notices = s.exec(select(Notice)).all()
        inspections = [i for i in s.exec(select(Inspection)).all() if site_ids is None or i.site_id in site_ids]
        assignments = s.exec(select(Assignment)).all()
    day_start = datetime.combine(now.astimezone(settings.tz).date(), time(0), settings.tz)
    raised = {c: dict.fromkeys(SEVERITIES, 0) for c in CATEGORIES}
    for h in hazards:
        if day_start <= h.created_at < day_start + timedelta(days=1):
            raised[h.category][h.severity] += 1
    open_hazards = [h for h in hazards if h.status in OPEN_STATUSES]
    late = [h for h in open_hazards if h.deadline < now]
    long_late = [h for h in late if h.deadline <= now - timedelta(days=settings.escalation_level2_after_days)]
    by_category = {c: dict.fromkeys(SEVERITIES, 0) for c in CATEGORIES}
    for h in open_hazards:
        by_category[h.category][h.severity] += 1
    week = weeks.week_of(now, settings.tz)
    start, end = weeks.week_bounds(weeks.parse_week(week), settings.tz)
    this_week = [i for i in inspections if start <= i.finished_at < end]
    done, days = defaultdict(set), defaultdict(set)
    for i in this_week:
        done[i.site_id].add(i.category)
        if own is None or i.inspector_id == own:
            days[i.site_id].add(i.finished_at.astimezone(settings.tz).date())
    target = Counter()
    for a in assignments:
        if own is None or a.officer_id == own:
            target[a.site_id] += a.visits_per_week
    complete = {site.id: set(due_categories(registry, site.profile)) <= done[site.id] for site in sites}
    by_street = defaultdict(lambda: {"sites_complete": 0, "sites": 0})
    for site in sites:
        by_street[site.street]["sites"] += 1
        by_street[site.street]["sites_complete"] += complete[site.id]
    return {
        "raised": raised,
        "open_by_status": {st: sum(h.status == st for h in open_hazards) for st in OPEN_STATUSES},
        "awaiting_verification": sum(h.status == "awaiting_verification" for h in open_hazards),
        "open_by_category": by_category,
        "overdue_by_level": {"1": len(late) - len(long_late), "2": len(long_late)},
        "notices_unacknowledged_48h": sum(
            n.acknowledged_at is None and n.issued_at < now - timedelta(hours=48) for n in notices
        ),
        "joint_inspections_week": sum(bool(i.participants) for i in this_week),
        "rounds": {
            "sites_complete": sum(complete.values()),
            "sites": len(sites),
            "visits": sum(len(days[site.id]) for site in sites),
            "visits_target": sum(target[site.id] for site in sites),
        },
        "rounds_by_street": dict(sorted(by_street.items())),
    }


def board_of(world, user, **params) -> dict:
    r = world.client.get(f"{API}/board", params=params, headers=world.headers(user))
    assert r.status_code == 200, r.text
    return r.json()


def same_figures(board: dict, expected: dict) -> None:
    assert {key: board[key] for key in expected} == expected


def test_the_whole_citys_board_counts_what_the_rows_say(world):
    varied_world(world)
    board = board_of(world, world.admin())
    expected = expected_board(world)
    same_figures(board, expected)
    # The world is varied enough for each figure to mean something.
    assert expected["overdue_by_level"]["1"] and expected["overdue_by_level"]["2"]
    assert expected["notices_unacknowledged_48h"] == 2 and expected["joint_inspections_week"] == 3
    assert expected["rounds"]["visits"] == 6 and board["rounds_by_site"] == []


def test_an_officers_board_counts_their_sites_and_their_own_visit_days(world):
    w = varied_world(world)
    for officer, sites in ((w["first"], {w["north"].id, w["small"].id}), (w["second"], {w["north"].id, w["south"].id})):
        board = board_of(world, officer)
        expected = expected_board(world, site_ids=sites, own=officer.id)
        expected.pop("notices_unacknowledged_48h")  # an officer's notices: server/notices/service.py
        same_figures(board, expected)
    assert board_of(world, w["second"])["rounds"]["visits"] == 3  # north on days 2 and 3, south on day 4


def test_a_streets_board_counts_its_sites_and_lists_what_each_still_owes(world):
    w = varied_world(world)
    board = board_of(world, world.admin(), street="北陵街道")
    expected = expected_board(world, site_ids={w["north"].id, w["small"].id})
    expected.pop("notices_unacknowledged_48h")  # notices on the street's hazards: none of these name one
    same_figures(board, expected)
    assert board["notices_unacknowledged_48h"] == 0
    registry = world.app.state.checklists
    owed = {
        str(site.id): [c for c in due_categories(registry, site.profile) if c not in done]
        for site, done in ((w["north"], {"gas", "fire", "electricity"}), (w["small"], {"fire", "electricity"}))
    }
    assert {r["site_id"]: r["remaining"] for r in board["rounds_by_site"]} == owed
    assert {r["site_id"]: r["complete"] for r in board["rounds_by_site"]} == {k: not v for k, v in owed.items()}


def test_the_week_names_a_withdrawn_checklists_inspection_among_the_categories_done(world):
    w = varied_world(world)
    rounds = world.client.get(f"{API}/rounds", headers=world.headers(world.admin())).json()
    done = {r["site_id"]: r["done"] for r in rounds["sites"]}
    assert done[str(w["north"].id)] == ["electricity", "fire", "gas", "retired"]
    assert done[str(w["small"].id)] == ["electricity", "fire"] and done[str(w["south"].id)] == ["gas"]
    visits = {r["site_id"]: r["visits"] for r in rounds["sites"]}
    assert visits == {str(w["north"].id): 3, str(w["small"].id): 2, str(w["south"].id): 1}


def test_the_map_counts_each_sites_open_hazards_as_the_rows_say(world):
    w = varied_world(world)
    admin = world.admin()
    rank = {"red": 0, "yellow": 1, "blue": 2}
    now = utcnow()
    with world.session() as s:
        hazards = s.exec(select(Hazard)).all()

    def expected(statuses=OPEN_STATUSES, category=None, sites=("north", "small", "south")):
        out = {}
        for name in sites:
            mine = [
                h
                for h in hazards
                if h.site_id == w[name].id and h.status in statuses and category in (None, h.category)
            ]
            worst = min((h.severity for h in mine), key=rank.get, default=None)
            out[str(w[name].id)] = (worst, len(mine), sum(h.deadline < now for h in mine))
        return out

    def answered(**params):
        fc = world.client.get(f"{API}/map.geojson", params=params, headers=world.headers(admin)).json()
        return {
            f["properties"]["site_id"]: (
                f["properties"]["worst_severity"],
                f["properties"]["open_count"],
                f["properties"]["overdue_count"],
            )
            for f in fc["features"]
        }

    assert answered() == expected()
    assert answered(category="fire") == expected(category="fire")
    assert answered(status="closed") == expected(statuses=("closed",))
    both = ("open", "rectifying")
    assert answered(status=",".join(both), category="gas") == expected(statuses=both, category="gas")
    assert answered(street="北陵街道") == expected(sites=("north", "small"))
    assert answered(overdue=False) == {}  # every site has a late open hazard


def test_the_console_names_the_officers_whose_visit_days_fall_short_as_the_rows_say(world):
    w = varied_world(world)
    settings = world.app.state.settings
    admin = world.admin()
    week = weeks.week_of(utcnow(), settings.tz)
    start, end = weeks.week_bounds(weeks.parse_week(week), settings.tz)
    with world.session() as s:
        behind = officers_behind(session=s, settings=settings, user=admin, week=week)
        inspections = s.exec(select(Inspection)).all()
        assignments = s.exec(select(Assignment)).all()
    expected = []
    for officer in (w["first"], w["second"]):
        visits = {
            (i.site_id, i.finished_at.astimezone(settings.tz).date())
            for i in inspections
            if i.inspector_id == officer.id and start <= i.finished_at < end
        }
        target = sum(a.visits_per_week for a in assignments if a.officer_id == officer.id)
        if len(visits) < target:
            expected.append({"name": officer.username, "visits": len(visits), "target": target})
    assert behind == expected == [{"name": w["first"].username, "visits": 3, "target": 4}]


def test_the_console_board_names_the_site_of_each_of_the_days_events_and_who_is_behind(world):
    w = varied_world(world)
    quiet = world.site(name="没有事件的社区")
    here = world.site(name="今天有隐患的社区")
    officer = world.officer(here, quiet)
    raise_hazards(world, here, officer)  # a 'raise' event today
    admin = world.admin()
    browser_sign_in(world.client, admin.username)
    html = world.client.get("/board/fragment").text
    events = html[html.index("<time>") :]
    assert "今天有隐患的社区" in events and "没有事件的社区" not in events and w["north"].name not in events
    assert w["first"].username in html  # 3 visit days of 4
