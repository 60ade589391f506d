"""Period reports: every figure equals a plain recount from the raw rows, on both databases, with periods
counted in Asia/Shanghai; company scorecards, repeat hazards, common problems; XLSX and the CLI."""

from __future__ import annotations

import io
import random
import statistics
import subprocess
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook

from rulebook import periods
from rulebook.categories import HAZARD_SOURCES
from server.hazards.models import Hazard, HazardTransition
from server.inspections.models import Inspection
from server.notices.models import Notice, NoticeHazard
from server.revisits.models import Revisit
from server.sites.models import Site
from server.trainings.models import TrainingSession

SHANGHAI_OFFSET = timezone(timedelta(hours=8))
LEVEL2_DAYS = 3


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), SHANGHAI_OFFSET)


class City:
    """Two years of made-up work at six sites on two streets, written straight into the tables."""

    def __init__(self, world, seed: int = 7):
        rnd = random.Random(seed)
        self.org = world.org("沈阳安居物业")
        self.other_org = world.org("沈阳颐家物业")
        self.sites = [
            world.site(self.org if i % 3 else self.other_org, name=f"社区{i}", street=street)
            for i, street in enumerate(["正良街道"] * 4 + ["五三街道"] * 2)
        ]
        self.officer = world.officer(*self.sites)
        self.admin = world.admin()
        self.hazards: list[Hazard] = []
        self.inspections: list[Inspection] = []
        self.notices: list[tuple[Notice, list[uuid.UUID]]] = []
        self.trainings: list[TrainingSession] = []
        self.reopens: list[HazardTransition] = []
        start = date(2025, 1, 1)
        with world.session() as s:
            for _ in range(500):
                site = rnd.choice(self.sites)
                finished = at(start + timedelta(days=rnd.randrange(730)), rnd.randrange(6, 20))
                category = rnd.choice(["gas", "fire", "electricity", "ebike"])
                row = Inspection(
                    id=uuid.uuid4(),
                    site_id=site.id,
                    category=category,
                    template_version=1,
                    inspector_id=self.officer.id,
                    started_at=finished - timedelta(minutes=20),
                    finished_at=finished,
                    answers=[{"item_id": f"{category}.x", "result": "pass"}] * rnd.randrange(1, 12),
                    request_hash="x",
                    participants=[{"unit": "police", "name": "王警官"}] * rnd.randrange(1, 3)
                    if rnd.random() < 0.3
                    else [],
                )
                s.add(row)
                self.inspections.append(row)
            items = ["gas.hose_aged", "fire.extinguisher_expired", "ebike.indoor_charging"]
            for n in range(400):
                site = rnd.choice(self.sites)
                found = at(start + timedelta(days=rnd.randrange(730)), rnd.randrange(0, 24))
                severity = rnd.choice(["red", "yellow", "blue"])
                deadline = found + timedelta(days={"red": 3, "yellow": 7, "blue": 15}[severity])
                status = rnd.choice(
                    ["open", "notified", "rectifying", "awaiting_verification", "closed", "closed", "cancelled"]
                )
                closed_at = found + timedelta(hours=rnd.randrange(2, 24 * 30)) if status == "closed" else None
                updated = closed_at or found + timedelta(days=rnd.randrange(0, 40))
                item = rnd.choice(items)
                hazard = Hazard(
                    id=uuid.uuid4(),
                    site_id=site.id,
                    category=item.split(".")[0],
                    item_id=item,
                    inspection_id=None,
                    severity=severity,
                    status=status,
                    version=1,
                    deadline=deadline,
                    organization_id=site.property_org_id,
                    description="x",
                    reported_by=self.officer.id,
                    found_at=found,
                    escalation_level=0,
                    created_at=found,
                    updated_at=updated,
                    closed_at=closed_at,
                    source=rnd.choice(HAZARD_SOURCES),
                )
                s.add(hazard)
                self.hazards.append(hazard)
            s.flush()
            self.revisits: list[Revisit] = []
            for hazard in [h for h in self.hazards if h.status == "closed" and h.severity == "red"]:
                status = rnd.choice(["due", "confirmed", "reopened"])
                due_on = hazard.closed_at.astimezone(SHANGHAI_OFFSET).date() + timedelta(days=30)
                revisit = Revisit(
                    id=uuid.uuid4(),
                    hazard_id=hazard.id,
                    site_id=hazard.site_id,
                    closed_at=hazard.closed_at,
                    due_on=due_on,
                    status=status,
                    answered_at=None if status == "due" else at(due_on + timedelta(days=rnd.randrange(0, 20)), 9),
                    created_at=hazard.closed_at,
                )
                s.add(revisit)
                self.revisits.append(revisit)
            for hazard in rnd.sample(self.hazards, 40):
                step = HazardTransition(
                    id=uuid.uuid4(),
                    hazard_id=hazard.id,
                    action="reopen",
                    from_status="closed",
                    to_status="rectifying",
                    actor_id=self.officer.id,
                    created_at=hazard.found_at + timedelta(days=rnd.randrange(1, 60)),
                )
                s.add(step)
                self.reopens.append(step)
            for n in range(80):
                org = rnd.choice([self.org, self.other_org])
                mine = [h for h in self.hazards if h.organization_id == org.id]
                chosen = rnd.sample(mine, rnd.randrange(1, 4))
                issued = max(h.found_at for h in chosen) + timedelta(hours=rnd.randrange(1, 48))
                acked = issued + timedelta(hours=rnd.randrange(1, 120)) if rnd.random() < 0.8 else None
                notice = Notice(
                    id=uuid.uuid4(),
                    number=f"SR-T-{n:06d}",
                    organization_id=org.id,
                    deadline=issued + timedelta(days=7),
                    issued_by=self.officer.id,
                    issued_at=issued,
                    acknowledged_at=acked,
                    request_hash="x",
                )
                s.add(notice)
                s.flush()
                for h in chosen:
                    s.add(NoticeHazard(notice_id=notice.id, hazard_id=h.id))
                self.notices.append((notice, [h.id for h in chosen]))
            for _ in range(60):
                site = rnd.choice(self.sites)
                held = at(start + timedelta(days=rnd.randrange(730)), 19)
                row = TrainingSession(
                    id=uuid.uuid4(),
                    site_id=site.id,
                    held_at=held,
                    topics=rnd.sample(["gas", "fire", "ebike"], rnd.randrange(1, 3)),
                    trainer="王老师",
                    attendee_count=rnd.randrange(5, 60),
                    duration_minutes=rnd.choice([30, 45, 90]),
                    officer_id=self.officer.id,
                    request_hash="x",
                )
                s.add(row)
                self.trainings.append(row)
            s.commit()

    def recount(self, period: periods.Period, site_ids: set[uuid.UUID]) -> dict:
        """The figures, counted the plain way: loops over every row."""
        start, end = period.bounds(SHANGHAI_OFFSET)
        inside = lambda moment: start <= moment < end  # noqa: E731
        hazards = [h for h in self.hazards if h.site_id in site_ids]
        closed = [h for h in hazards if h.status == "closed" and inside(h.closed_at)]
        open_end = [
            h
            for h in hazards
            if h.found_at < end
            and not (h.status == "closed" and h.closed_at < end)
            and not (h.status == "cancelled" and h.updated_at < end)
        ]
        late = [h for h in open_end if h.deadline < end]
        level2 = [h for h in late if end >= h.deadline + timedelta(days=LEVEL2_DAYS)]
        ids = {h.id for h in hazards}
        notices = [n for n, hs in self.notices if inside(n.issued_at) and ids & set(hs)]
        ack_hours = [(n.acknowledged_at - n.issued_at).total_seconds() / 3600 for n in notices if n.acknowledged_at]
        trainings = [t for t in self.trainings if t.site_id in site_ids and inside(t.held_at)]
        inspections = [i for i in self.inspections if i.site_id in site_ids and inside(i.finished_at)]
        days = [(h.closed_at - h.found_at).total_seconds() / 86400 for h in closed]
        revisits = [r for r in self.revisits if r.hazard_id in ids]
        done = [r for r in revisits if r.answered_at and inside(r.answered_at)]
        share = lambda part, whole: round(part / whole * 100, 1) if whole else None  # noqa: E731
        return {
            "inspections": len(inspections),
            "items_checked": sum(len(i.answers) for i in inspections),
            "hazards_found": sum(1 for h in hazards if inside(h.found_at)),
            "hazards_closed": len(closed),
            "closed_on_time_share": share(sum(1 for h in closed if h.closed_at <= h.deadline), len(closed)),
            "days_to_close_median": round(statistics.median(days), 1) if days else None,
            "open_at_end": len(open_end),
            "overdue_at_end": len(late),
            "overdue_at_end_level2": len(level2),
            "reopened": sum(1 for r in self.reopens if r.hazard_id in ids and inside(r.created_at)),
            "notices_issued": len(notices),
            "notices_acknowledged_48h_share": share(sum(1 for h in ack_hours if h <= 48), len(notices)),
            "hours_to_acknowledge_median": round(statistics.median(ack_hours), 1) if ack_hours else None,
            "trainings": len(trainings),
            "attendees": sum(t.attendee_count for t in trainings),
            "training_hours": round(sum(t.duration_minutes for t in trainings) / 60, 1),
            "joint_inspections": sum(1 for i in inspections if i.participants),
            "revisits_due": sum(1 for r in revisits if start.date() <= r.due_on < end.date()),
            "revisits_done": len(done),
            "revisits_confirmed": sum(1 for r in done if r.status == "confirmed"),
            "revisits_reopened": sum(1 for r in done if r.status == "reopened"),
        }


@pytest.fixture
def city(world):
    return City(world)


@pytest.mark.parametrize(
    "period,scope",
    [("2026-Q2", "all"), ("2026-03", "street:正良街道"), ("2026-W10", "all"), ("2025", "street:五三街道")],
)
def test_every_figure_equals_a_plain_recount_with_the_period_before_and_a_year_before(
    world, client, city, period, scope
):
    response = client.get(f"/api/v1/reports/{period}", params={"scope": scope}, headers=world.headers(city.admin))
    assert response.status_code == 200, response.text
    report = response.json()
    street = scope.partition(":")[2]
    site_ids = {s.id for s in city.sites if not street or s.street == street}
    current = periods.parse_period(period)
    for key, p in (("value", current), ("previous", current.previous()), ("year_ago", current.year_ago())):
        expected = city.recount(p, site_ids)
        got = {name: report["figures"][name][key] for name in expected}
        assert got == expected, (key, p.name)
    assert report["figures"]["hazards_found"]["value"] > 0  # the dataset has something in every period tested
    start, end = current.bounds(SHANGHAI_OFFSET)
    found = [h for h in city.hazards if h.site_id in site_ids and start <= h.found_at < end]
    assert report["hazards_by_source"] == {src: sum(1 for h in found if h.source == src) for src in HAZARD_SOURCES}
    if period in ("2026-Q2", "2025"):
        assert report["figures"]["joint_inspections"]["value"] > 0
        assert report["figures"]["revisits_done"]["value"] > 0 and report["figures"]["revisits_due"]["value"] > 0


def test_changes_are_percent_with_one_decimal_and_none_where_the_base_is_zero():
    assert periods.change(312, 340) == -8.2
    assert periods.change(5, 0) is None
    assert periods.parse_period("2026-W49").previous().name == "2026-W48"
    assert periods.parse_period("2026-Q1").previous().name == "2025-Q4"
    assert periods.parse_period("2026-01").year_ago().name == "2025-01"


def test_a_monday_0700_in_shenyang_counts_in_that_week_though_it_is_sunday_in_utc(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    monday_7 = datetime(2026, 11, 30, 7, 0, tzinfo=SHANGHAI_OFFSET)  # 2026-11-29 23:00 UTC, a Sunday
    with world.session() as s:
        s.add(
            Inspection(
                id=uuid.uuid4(),
                site_id=site.id,
                category="gas",
                template_version=1,
                inspector_id=officer.id,
                started_at=monday_7,
                finished_at=monday_7,
                answers=[{"item_id": "gas.x", "result": "pass"}],
                request_hash="x",
            )
        )
        s.commit()
    week = client.get("/api/v1/reports/2026-W49", headers=world.headers(officer)).json()
    before = client.get("/api/v1/reports/2026-W48", headers=world.headers(officer)).json()
    assert week["figures"]["inspections"]["value"] == 1
    assert before["figures"]["inspections"]["value"] == 0
    assert (week["visits"]["visits"], week["visits"]["visits_target"], week["visits"]["behind_target"]) == (1, 1, 0)
    assert week["visits"]["listed"] == [
        {
            "officer_id": str(officer.id),
            "officer": officer.display_name or officer.username,
            "visits": 1,
            "visits_target": 1,
        }
    ]


def test_a_property_user_sees_only_their_companys_hazards(world, client, city):
    staff = world.user("property", city.org)
    mine = client.get("/api/v1/reports/2026", headers=world.headers(staff)).json()
    expected = city.recount(periods.year(2026), {s.id for s in city.sites if s.property_org_id == city.org.id})
    assert mine["figures"]["hazards_found"]["value"] == expected["hazards_found"]
    assert [c["organization"] for c in mine["companies"]] == ["沈阳安居物业"]


def test_scorecards_rank_the_weakest_company_first_and_count_what_it_received(world, client, city):
    report = client.get("/api/v1/reports/2026", headers=world.headers(city.admin)).json()
    cards = report["companies"]
    assert {c["organization"] for c in cards} == {"沈阳安居物业", "沈阳颐家物业"}
    shares = [c["closed_on_time_share"] for c in cards]
    assert shares == sorted(shares)
    start, end = periods.year(2026).bounds(SHANGHAI_OFFSET)
    for card in cards:
        org = city.org if card["organization"] == "沈阳安居物业" else city.other_org
        assert card["hazards_received"] == sum(
            1 for h in city.hazards if h.organization_id == org.id and start <= h.found_at < end
        )


def test_repeat_hazards_and_common_problems_are_named(world, client):
    org = world.org()
    sites = [world.site(org, name=f"村{i}", street="汪家街道") for i in range(4)]
    officer = world.officer(*sites)
    base = datetime(2026, 6, 1, 9, tzinfo=SHANGHAI_OFFSET)

    def hazard(site: Site, found: datetime, closed: datetime | None, item: str = "ebike.indoor_charging") -> Hazard:
        return Hazard(
            id=uuid.uuid4(),
            site_id=site.id,
            category=item.split(".")[0],
            item_id=item,
            severity="red",
            status="closed" if closed else "open",
            version=1,
            deadline=found + timedelta(days=3),
            organization_id=org.id,
            description="x",
            reported_by=officer.id,
            found_at=found,
            created_at=found,
            updated_at=closed or found,
            closed_at=closed,
        )

    first = hazard(sites[0], base - timedelta(days=60), base - timedelta(days=50))
    before_first = hazard(sites[0], base - timedelta(days=85), base - timedelta(days=70))  # closed earlier: not named
    again = hazard(sites[0], base + timedelta(days=2), None)  # 52 days after the first was closed: a repeat
    long_after = hazard(sites[1], base + timedelta(days=3), None)
    old = hazard(sites[1], base - timedelta(days=200), base - timedelta(days=150))  # closed too long ago
    third = hazard(sites[2], base + timedelta(days=4), None)
    with world.session() as s:
        s.add_all([before_first, first, again, long_after, old, third])
        s.commit()
    report = client.get(
        "/api/v1/reports/2026-06", params={"scope": "street:汪家街道"}, headers=world.headers(officer)
    ).json()
    assert [r["hazard_id"] for r in report["repeat_hazards"]] == [str(again.id)]
    assert report["repeat_hazards"][0]["earlier_hazard_id"] == str(first.id)
    assert report["repeat_hazards"][0]["earlier_closed_at"] == first.closed_at.astimezone(UTC).isoformat()
    assert report["repeat_hazards"][0]["found_at"] == again.found_at.astimezone(UTC).isoformat()
    [problem] = report["common_problems"]  # 3 of the street's 4 sites: 75 %
    assert problem["item_id"] == "ebike.indoor_charging" and problem["share"] == 75.0
    assert problem["sites"] == ["村0", "村1", "村2"]


def test_the_report_as_a_workbook_has_chinese_sheets_and_numbers(world, client, city):
    response = client.get("/api/v1/reports/2026-Q2", params={"format": "xlsx"}, headers=world.headers(city.admin))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["主要指标", "隐患分类", "隐患来源", "物业公司", "安全员走访", "重复隐患", "共性问题"]
    rows = {r[0]: r for r in book["主要指标"].iter_rows(min_row=3, values_only=True)}
    found = city.recount(periods.quarter(2026, 2), {s.id for s in city.sites})["hazards_found"]
    assert rows["发现隐患"][1] == found and isinstance(rows["发现隐患"][1], int)
    by_source = {r[0]: r[1] for r in book["隐患来源"].iter_rows(min_row=3, values_only=True)}
    assert sum(by_source.values()) == found and by_source["居民扫码上报"] == sum(
        1
        for h in city.hazards
        if h.source == "resident"
        and periods.quarter(2026, 2).bounds(SHANGHAI_OFFSET)[0] <= h.found_at
        and h.found_at < periods.quarter(2026, 2).bounds(SHANGHAI_OFFSET)[1]
    )


def test_bad_periods_and_scopes_are_refused_with_a_sentence(world, client):
    admin = world.admin()
    bad = client.get("/api/v1/reports/2026-13", headers={**world.headers(admin), "Accept-Language": "zh-CN"})
    assert bad.status_code == 422 and bad.json()["code"] == "bad_period"
    assert "2026-W48" in bad.json()["detail"] and "季度" in bad.json()["detail"]
    scope = client.get("/api/v1/reports/2026", params={"scope": "planet:mars"}, headers=world.headers(admin))
    assert scope.status_code == 422 and scope.json()["code"] == "bad_scope"
    nowhere = client.get("/api/v1/reports/2026", params={"scope": "street:不存在街道"}, headers=world.headers(admin))
    assert nowhere.status_code == 404


def test_rounds_complete_counts_site_weeks_with_every_due_category_inspected(world, client):
    org = world.org()
    done, idle = world.site(org, name="全查社区"), world.site(org, name="未查社区")
    officer = world.officer(done, idle)
    tuesday = datetime(2026, 11, 24, 15, 0, tzinfo=SHANGHAI_OFFSET)
    due = sorted(c for c, t in world.app.state.checklists.current.items() if t.items_for(done.profile))
    assert len(due) == 7
    with world.session() as s:
        for category in due:
            s.add(
                Inspection(
                    id=uuid.uuid4(),
                    site_id=done.id,
                    category=category,
                    template_version=1,
                    inspector_id=officer.id,
                    started_at=tuesday,
                    finished_at=tuesday,
                    answers=[{"item_id": f"{category}.x", "result": "pass"}],
                    request_hash="x",
                )
            )
        s.commit()
    figures = client.get("/api/v1/reports/2026-W48", headers=world.headers(officer)).json()["figures"]
    assert figures["sites_complete_share"]["value"] == 50.0
    assert figures["inspections"]["value"] == 7 and figures["items_checked"]["value"] == 7


def test_rounds_count_each_site_against_the_categories_it_owes_in_the_weeks_of_a_month(world, client):
    """Sites owe different categories (no gas, no elevators): each site-week is checked against its own; the
    weeks of a month are those starting in it, so the last runs into the next month and its inspections
    count for rounds but not for the month's inspections."""
    org = world.org()
    full = world.site(org, name="全查社区")
    no_gas = world.site(org, name="无燃气社区", has_gas=False, has_elevators=False)
    half = world.site(org, name="半查社区", has_gas=False, has_elevators=False)
    officer = world.officer(full, no_gas, half)
    checklists = world.app.state.checklists.current
    owes = {s.id: sorted(c for c, t in checklists.items() if t.items_for(s.profile)) for s in (full, no_gas, half)}
    assert len(owes[full.id]) == 7 and 0 < len(owes[no_gas.id]) < 7
    monday = datetime(2026, 3, 30, 9, 0, tzinfo=SHANGHAI_OFFSET)  # March's last week: Mon 30 to Sun 5 April
    done = [(full, c, monday) for c in owes[full.id]]
    done += [(no_gas, c, monday + timedelta(days=2)) for c in owes[no_gas.id]]  # 1 April: next month
    done += [(half, c, monday) for c in owes[half.id][:-1]]
    with world.session() as s:
        for site, category, when in done:
            s.add(
                Inspection(
                    id=uuid.uuid4(),
                    site_id=site.id,
                    category=category,
                    template_version=1,
                    inspector_id=officer.id,
                    started_at=when,
                    finished_at=when,
                    answers=[{"item_id": f"{category}.x", "result": "pass"}] * 3,
                    request_hash="x",
                )
            )
        s.commit()
    figures = client.get("/api/v1/reports/2026-03", headers=world.headers(officer)).json()["figures"]
    weeks = len(periods.parse_period("2026-03").weeks())
    assert figures["site_weeks"]["value"] == 3 * weeks
    assert figures["site_weeks_complete"]["value"] == 2  # the full site and the one without gas; not `half`
    in_march = len(owes[full.id]) + len(owes[half.id]) - 1
    assert figures["inspections"]["value"] == in_march and figures["items_checked"]["value"] == 3 * in_march
    april = client.get("/api/v1/reports/2026-04", headers=world.headers(officer)).json()["figures"]
    assert april["inspections"]["value"] == len(owes[no_gas.id]) and april["site_weeks_complete"]["value"] == 0


# SQLite has no time-zone rules (it counts days at the period's first offset): this runs on PostgreSQL only.
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_visits_count_local_days_across_a_daylight_saving_change(world, settings):
    """In a zone with daylight saving, the local day follows the change: 23:30 and 00:30 on either side of
    midnight after clocks went forward are two days (a fixed offset from the period's start would make one)."""
    from server.reports import service

    berlin = settings.model_copy(update={"timezone": "Europe/Berlin"})
    site = world.site(world.org())
    officer = world.officer(site)
    late, early = (
        datetime(2026, 3, 29, 23, 30, tzinfo=berlin.tz),  # summer time since 02:00 that night
        datetime(2026, 3, 30, 0, 30, tzinfo=berlin.tz),
    )
    with world.session() as s:
        for when in (late, early):
            s.add(
                Inspection(
                    id=uuid.uuid4(),
                    site_id=site.id,
                    category="gas",
                    template_version=1,
                    inspector_id=officer.id,
                    started_at=when,
                    finished_at=when,
                    answers=[{"item_id": "gas.x", "result": "pass"}],
                    request_hash="x",
                )
            )
        s.commit()
        with world.session() as session:
            report = service.report(
                session=session,
                settings=berlin,
                registry=world.app.state.checklists,
                user=officer,
                period_name="2026-Q1",
            )
    assert report["visits"]["visits"] == 2
    assert report["figures"]["inspections"]["value"] == 2


def test_the_cli_writes_the_report_as_xlsx(world, city, settings, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from server.cli import app as cli

    for key, value in {
        "SAFEROUND_DATA_DIR": str(settings.data_dir),
        "SAFEROUND_DATABASE_URL": settings.resolved_database_url,
    }.items():
        monkeypatch.setenv(key, value)
    from server.config import get_settings

    get_settings.cache_clear()
    out = tmp_path / "week.xlsx"
    result = CliRunner().invoke(
        cli, ["report", "--period", "2026-Q2", "--scope", "street:正良街道", "--format", "xlsx", "-o", str(out)]
    )
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    rows = {r[0]: r for r in load_workbook(out)["主要指标"].iter_rows(min_row=3, values_only=True)}
    street = {s.id for s in city.sites if s.street == "正良街道"}
    assert rows["发现隐患"][1] == city.recount(periods.quarter(2026, 2), street)["hazards_found"]
    bad = CliRunner().invoke(cli, ["report", "--period", "2026-14"])
    assert bad.exit_code == 2 and "不是报表周期" in bad.output


def test_the_report_as_a_pdf_says_its_figures_in_chinese_with_charts(world, client, city, tmp_path):
    from pypdf import PdfReader

    response = client.get("/api/v1/reports/2026-Q2", params={"format": "pdf"}, headers=world.headers(city.admin))
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    found = city.recount(periods.quarter(2026, 2), {s.id for s in city.sites})["hazards_found"]
    assert "社区安全工作报表" in text and "环比" in text and "同比" in text and "物业公司按期整改率" in text
    assert f"发现隐患 {found} " in text or f"发现隐患{found}" in text.replace(" ", "")
    assert "沈阳安居物业" in text and "燃气" in text
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    # The picture a person looks at (poppler-utils comes with make test).
    page = artifacts / "report-page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(page)], check=True
    )
    assert page.with_suffix(".png").stat().st_size > 10_000


def test_last_weeks_reports_are_due_from_monday_0800_local():
    from server.config import Settings
    from server.reports.weekly import due_week

    settings = Settings(timezone="Asia/Shanghai")
    assert due_week(datetime(2026, 11, 30, 7, 59, tzinfo=SHANGHAI_OFFSET), settings).name == "2026-W47"
    assert due_week(datetime(2026, 11, 30, 8, 0, tzinfo=SHANGHAI_OFFSET), settings).name == "2026-W48"
    assert due_week(datetime(2026, 12, 3, 20, 0, tzinfo=SHANGHAI_OFFSET), settings).name == "2026-W48"


def test_each_districts_weekly_report_is_made_once_and_kept_for_download(world, client, city, settings):
    from server.reports.weekly import make_weekly_reports

    monday = datetime(2026, 6, 8, 8, 30, tzinfo=SHANGHAI_OFFSET)
    assert make_weekly_reports(world.app.state.engine, settings, now=monday) == 4  # all + 浑南区, xlsx + pdf
    assert make_weekly_reports(world.app.state.engine, settings, now=monday) == 0
    listed = client.get("/api/v1/reports/archive", headers=world.headers(city.admin)).json()["items"]
    assert sorted((r["period"], r["scope"], r["format"]) for r in listed) == [
        ("2026-W23", "all", "pdf"),
        ("2026-W23", "all", "xlsx"),
        ("2026-W23", "district:浑南区", "pdf"),
        ("2026-W23", "district:浑南区", "xlsx"),
    ]
    xlsx = next(r for r in listed if r["scope"] == "all" and r["format"] == "xlsx")
    download = client.get(f"/api/v1/reports/archive/{xlsx['id']}", headers=world.headers(city.admin))
    rows = {
        r[0]: r for r in load_workbook(io.BytesIO(download.content))["主要指标"].iter_rows(min_row=3, values_only=True)
    }
    assert (
        rows["发现隐患"][1] == city.recount(periods.week(date(2026, 6, 1)), {s.id for s in city.sites})["hazards_found"]
    )
    assert client.get("/api/v1/reports/archive", headers=world.headers(city.officer)).status_code == 403
    missing = client.get(f"/api/v1/reports/archive/{uuid.uuid4()}", headers=world.headers(city.admin))
    assert missing.status_code == 404


def test_the_background_jobs_make_the_weekly_reports_by_themselves(world, settings):
    import time as clock

    from fastapi.testclient import TestClient

    from server.main import create_app

    world.site(world.org())
    with TestClient(create_app(settings.model_copy(update={"weekly_report_interval_seconds": 1}))) as client:
        admin = world.admin()
        deadline = clock.monotonic() + 30
        listed: list = []
        while clock.monotonic() < deadline and len(listed) < 4:
            listed = client.get("/api/v1/reports/archive", headers=world.headers(admin)).json()["items"]
            clock.sleep(0.3)
    assert len(listed) == 4
