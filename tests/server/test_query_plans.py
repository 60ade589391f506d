"""Every list's index stays in its plan (migration 0012): a page deep in the history is a seek.

PostgreSQL only: the issue (a city on PostgreSQL) is about its planner, and SQLite plans are not asked to
match. The tables get a few thousand rows by SQL, ANALYZE, and `enable_seqscan = off` so the planner's
choice is between indexes, not about table size. Each test sends the real API request, takes the SQL the
server ran for the page and EXPLAIN ANALYZEs it: the index named, no Sort over more than a merge of pages,
and no rows thrown away in proportion to the depth of the page."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from server.common import utcnow
from server.paging import _encode
from tests.pg import statements

API = "/api/v1"
HAZARDS = 6000
PAGE = 20


# Plans with real rows are asserted on PostgreSQL, the database of a city (issue 11); SQLite's own plans
# (a small install) in the last test. Each test runs on its database only, not skipped on the other.
ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
ON_SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def city(world, client, db_url):
    companies = [world.org() for _ in range(20)]
    sites = [world.site(companies[n % 20]) for n in range(24)]
    officer = world.officer(*sites[:3])
    admin = world.admin()
    engine = client.app.state.engine
    with engine.begin() as c:
        c.execute(
            text("""
            INSERT INTO inspection (id, site_id, category, template_version, inspector_id, started_at,
                                    finished_at, answers, presence_flags, request_hash, created_at)
            SELECT gen_random_uuid(), (:sites)[1 + n % 24], 'gas', 1, :officer,
                   now() - n * interval '10 minutes', now() - n * interval '10 minutes', '[]', '[]', 'x',
                   now() - n * interval '10 minutes'
            FROM generate_series(1, :n) n"""),
            {"sites": [s.id for s in sites], "officer": officer.id, "n": HAZARDS},
        )
        c.execute(
            text("""
            INSERT INTO hazard (id, site_id, organization_id, category, severity, status, version, deadline,
                                description, reported_by, found_at, escalation_level, created_at, updated_at,
                                change_seq)
            SELECT gen_random_uuid(), (:sites)[1 + n % 24], (:orgs)[1 + n % 20], 'fire',
                   CASE WHEN n % 40 = 0 THEN 'red' WHEN n % 2 = 0 THEN 'yellow' ELSE 'blue' END,
                   CASE WHEN n % 40 = 1 THEN 'open' WHEN n % 40 = 2 THEN 'notified' WHEN n % 40 = 3 THEN 'cancelled'
                        ELSE 'closed' END, 1,
                   now() - n * interval '10 minutes' + interval '3 days', '', :officer,
                   now() - n * interval '10 minutes', 0,
                   now() - (n / 2) * interval '10 minutes', now(), n  -- pairs share created_at
            FROM generate_series(1, :n) n"""),
            {"sites": [s.id for s in sites], "orgs": [o.id for o in companies], "officer": officer.id, "n": HAZARDS},
        )
        c.execute(
            text("""
            INSERT INTO notice (id, number, organization_id, deadline, basis, issued_by, issued_at, request_hash,
                                change_seq)
            SELECT gen_random_uuid(), 'SR-T-' || n, (:orgs)[1 + n % 20], now(), '', :officer,
                   now() - n * interval '1 hour', 'x', n
            FROM generate_series(1, :n) n"""),
            {"orgs": [o.id for o in companies], "officer": officer.id, "n": HAZARDS // 2},
        )
        c.execute(
            text("""
            INSERT INTO site (id, name, kind, district, street, address, profile, created_at, updated_at)
            SELECT gen_random_uuid(), '小区' || lpad(n::text, 5, '0'), 'community', '浑南区', '五三街道', '', '{}',
                   now(), now()
            FROM generate_series(1, :n) n"""),
            {"n": HAZARDS // 4},
        )
        c.execute(
            text("""
            INSERT INTO assignment (id, officer_id, site_id, visits_per_week, created_at, updated_at)
            SELECT gen_random_uuid(), :officer, id, 1, now() - row_number() OVER () * interval '1 minute', now()
            FROM site WHERE name LIKE '小区%'"""),
            {"officer": world.user("officer").id},
        )
        c.execute(text("ANALYZE"))
    staff = world.user("property", companies[0])
    return {"admin": admin, "officer": officer, "staff": staff, "engine": engine}


def captured(engine, table):
    """The page queries (FROM `table` ... LIMIT) the server runs meanwhile, with their parameters."""
    return statements(engine, lambda statement: f"FROM {table}" in statement and "LIMIT" in statement)


def nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def page_plan(client, world, city, who, path, table, **params):
    with captured(city["engine"], table) as seen:
        r = client.get(f"{API}{path}", params={"limit": PAGE, **params}, headers=world.headers(city[who]))
        assert r.status_code == 200, r.text
    assert seen, f"no page query on {table}"
    statement, parameters = seen[0]
    with city["engine"].connect() as c:
        c.exec_driver_sql("SET enable_seqscan = off")
        plan = c.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters).scalar_one()[0]["Plan"]
    return list(nodes(plan)), r.json()


def assert_seek(plan_nodes, index, *, branches=1, bounded_by=None):
    """`bounded_by`: a set smaller than the history (the unfinished hazards) that the plan may sort or skip."""
    used = {n.get("Index Name") for n in plan_nodes}
    assert index in used, (index, [(n["Node Type"], n.get("Index Name"), n.get("Filter")) for n in plan_nodes])
    for node in plan_nodes:
        assert node["Node Type"] != "Seq Scan", node
        if node["Node Type"] == "Sort":  # only a merge of pages, never the table
            assert node["Actual Rows"] <= (bounded_by or branches * (PAGE + 1)), node
        assert node.get("Rows Removed by Filter", 0) <= (bounded_by or 2 * PAGE), node


def middle(city, table, key="created_at", where=""):
    order = "ASC" if table in ("site", "assignment") else "DESC"  # names and assignments: oldest first
    with city["engine"].connect() as c:
        row = c.execute(
            text(
                f"SELECT {key}, id FROM {table} {where} ORDER BY {key} {order}, id {order} "
                f"OFFSET (SELECT count(*) / 2 FROM {table} {where}) LIMIT 1"
            )
        ).one()
    return _encode(row[0], row[1])


@ON_POSTGRESQL
@pytest.mark.parametrize(
    ("who", "params", "index", "where"),
    [
        ("admin", {}, "ix_hazard_created", ""),
        ("admin", {"status": "cancelled"}, "ix_hazard_status_created", "WHERE status = 'cancelled'"),
        ("admin", {"severity": "red"}, "ix_hazard_severity_created", "WHERE severity = 'red'"),
        ("staff", {}, "ix_hazard_org_created", ""),
        ("officer", {}, "ix_hazard_site_created", ""),
    ],
)
def test_hazard_pages_seek_their_index_at_any_depth(client, world, city, who, params, index, where):
    for cursor in (None, middle(city, "hazard", where=where)):
        plan, body = page_plan(
            client, world, city, who, "/hazards", "hazard", **params, **({"cursor": cursor} if cursor else {})
        )
        assert len(body["items"]) == PAGE
        assert_seek(plan, index)


@ON_POSTGRESQL
def test_several_statuses_merge_one_seek_per_status(client, world, city):
    where = "WHERE status IN ('open', 'notified')"
    for cursor in (None, middle(city, "hazard", where=where)):
        plan, body = page_plan(
            client,
            world,
            city,
            "admin",
            "/hazards",
            "hazard",
            status=["open", "notified"],
            **({"cursor": cursor} if cursor else {}),
        )
        assert len(body["items"]) == PAGE and {h["status"] for h in body["items"]} == {"open", "notified"}
        assert_seek(plan, "ix_hazard_status_created", branches=2)
        assert sum(n["Node Type"] in ("Index Scan", "Index Only Scan") for n in plan) == 2  # one seek a status


@ON_POSTGRESQL
def test_overdue_hazards_come_from_the_partial_index_of_unfinished_deadlines(client, world, city):
    with city["engine"].connect() as c:
        unfinished = c.execute(text("SELECT count(*) FROM hazard WHERE status NOT IN ('closed', 'cancelled')")).scalar()
    where = "WHERE status NOT IN ('closed', 'cancelled') AND deadline < now()"
    for cursor in (None, middle(city, "hazard", where=where)):
        plan, body = page_plan(
            client, world, city, "admin", "/hazards", "hazard", overdue="true", **({"cursor": cursor} if cursor else {})
        )
        assert len(body["items"]) == PAGE and all(h["overdue"] for h in body["items"])
        assert_seek(plan, "ix_hazard_open_deadline", bounded_by=unfinished)  # never the closed history


@ON_POSTGRESQL
@pytest.mark.parametrize(
    ("who", "path", "table", "key", "index", "where"),
    [
        ("admin", "/inspections", "inspection", "created_at", "ix_inspection_created", ""),
        ("officer", "/inspections", "inspection", "created_at", "ix_inspection_site_created", ""),
        ("admin", "/notices", "notice", "issued_at", "ix_notice_issued", ""),
        ("staff", "/notices", "notice", "issued_at", "ix_notice_org_issued", "WHERE organization_id = :org"),
        ("admin", "/sites", "site", "name", "ix_site_name", ""),
        ("admin", "/assignments", "assignment", "created_at", "ix_assignment_created", ""),
    ],
)
def test_inspection_notice_site_and_assignment_pages_seek_their_index_at_any_depth(
    client, world, city, who, path, table, key, index, where
):
    where = where.replace(":org", f"'{city['staff'].organization_id}'")
    for cursor in (None, middle(city, table, key=key, where=where)):
        plan, body = page_plan(client, world, city, who, path, table, **({"cursor": cursor} if cursor else {}))
        assert len(body["items"]) == PAGE
        assert_seek(plan, index)


@ON_SQLITE
@pytest.mark.parametrize(
    ("who", "path", "table", "params", "plan"),
    [
        ("admin", "/hazards", "hazard", {}, "ix_hazard_created ((created_at,id)<(?,?))"),
        ("admin", "/hazards", "hazard", {"status": "open"}, "ix_hazard_status_created (status=? AND (created_at,id)<"),
        ("admin", "/hazards", "hazard", {"severity": "red"}, "ix_hazard_severity_created (severity=? AND (created_at"),
        ("staff", "/hazards", "hazard", {}, "ix_hazard_org_created (organization_id=? AND (created_at,id)<(?,?))"),
        ("officer", "/hazards", "hazard", {}, "ix_hazard_site_created (site_id=? AND (created_at,id)<(?,?))"),
        ("admin", "/inspections", "inspection", {}, "ix_inspection_created ((created_at,id)<(?,?))"),
        ("officer", "/inspections", "inspection", {}, "ix_inspection_site_created (site_id=? AND (created_at,id)<"),
        ("admin", "/notices", "notice", {}, "ix_notice_issued ((issued_at,id)<(?,?))"),
        ("staff", "/notices", "notice", {}, "ix_notice_org_issued (organization_id=? AND (issued_at,id)<(?,?))"),
        ("admin", "/assignments", "assignment", {}, "ix_assignment_created ((created_at,id)>(?,?))"),
    ],
)
def test_sqlite_seeks_the_same_indexes_with_row_values(client, world, db_url, who, path, table, params, plan):
    """SQLite (3.15+) plans the row-value comparison as an index range too (a small install's database).
    (Overdue is left to SQLite's planner: without statistics it prefers the order index, still a search.)"""
    company = world.org()
    users = {"admin": world.admin(), "officer": world.officer(world.site(company)), "staff": None}
    users["staff"] = world.user("property", company)
    cursor = _encode(utcnow(), uuid.uuid4())
    with captured(client.app.state.engine, table) as seen:
        r = client.get(f"{API}{path}", params={"cursor": cursor, **params}, headers=world.headers(users[who]))
        assert r.status_code == 200, r.text
    statement, parameters = seen[0]
    with client.app.state.engine.connect() as c:
        steps = [row[-1] for row in c.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()]
    # USING COVERING INDEX where the page reads only keys from it (an officer's merged seeks)
    assert any(f"SEARCH {table} USING {how} {plan}" in step for step in steps for how in ("INDEX", "COVERING INDEX")), (
        steps
    )
    assert not any(step.startswith(f"SCAN {table}") for step in steps), steps


def link_notices(city):
    """Each notice on the hazard with its number (so an officer's notices are those of their sites)."""
    with city["engine"].begin() as c:
        c.execute(
            text("""
            INSERT INTO notice_hazard (notice_id, hazard_id)
            SELECT notice.id, hazard.id FROM notice JOIN hazard ON hazard.change_seq = notice.change_seq""")
        )
        c.execute(text("ANALYZE"))


@ON_POSTGRESQL
@pytest.mark.parametrize(
    ("who", "index", "branches"),
    [("admin", "ix_hazard_feed", 1), ("officer", "ix_hazard_site_feed", 3)],
)
def test_feed_hazards_seek_the_feed_index_of_the_readers_scope(client, world, city, who, index, branches):
    """The changes feed (issue 11): the whole feed's range, or one range per officer's site merged; page 1
    and a page in the middle of the history alike."""
    for since in (None, str(HAZARDS // 2)):
        plan, body = page_plan(
            client, world, city, who, "/sync/changes", "hazard", **({"since": since} if since else {})
        )
        assert body["has_more"] and len(body["hazards"]) + len(body["notices"]) == PAGE
        assert_seek(plan, index, branches=branches)


@ON_POSTGRESQL
def test_the_coordinators_feed_notices_seek_the_feed_index(client, world, city):
    link_notices(city)
    for since in (None, str(HAZARDS // 4)):
        params = {"since": since} if since else {}
        plan, _ = page_plan(client, world, city, "admin", "/sync/changes", "notice", **params)
        assert_seek(plan, "ix_notice_feed")


@ON_POSTGRESQL
def test_an_officers_feed_notices_come_from_their_sites_not_the_citys_feed(client, world, city):
    """An officer's notices are found through their sites' hazards (a few per site), never by walking every
    notice of the city in feed order and checking each one's sites."""
    link_notices(city)
    with city["engine"].connect() as c:
        theirs = c.execute(  # the hazards at their sites: a plan may read each once, not the city's notices
            text("SELECT count(*) FROM hazard WHERE site_id IN (SELECT site_id FROM assignment WHERE officer_id = :o)"),
            {"o": city["officer"].id},
        ).scalar()
    assert 0 < theirs < HAZARDS // 4
    for since in (None, str(HAZARDS // 4)):
        plan, body = page_plan(
            client, world, city, "officer", "/sync/changes", "notice", **({"since": since} if since else {})
        )
        assert body["notices"]
        for node in plan:
            assert node["Node Type"] != "Seq Scan", node
            assert node["Actual Rows"] <= theirs and node.get("Rows Removed by Filter", 0) <= theirs, node


@ON_POSTGRESQL
@pytest.mark.parametrize("who", ["admin", "officer"])
def test_the_feeds_records_are_read_by_key_whatever_the_size_of_the_city(client, world, city, who):
    """PostgreSQL writes the page's records as JSON (server/wire_json.py): each record, its photos,
    latest notice, presence flags, hazards, sites and company by key, a few rows per record of the page;
    never a scan or hash of a whole table (the planner left to its own choice here)."""
    link_notices(city)
    with statements(city["engine"], lambda statement: "WITH ORDINALITY AS page" in statement) as seen:
        for since in (None, str(HAZARDS // 4)):
            params = {"limit": PAGE, **({"since": since} if since else {})}
            r = client.get(f"{API}/sync/changes", params=params, headers=world.headers(city[who]))
            assert r.status_code == 200 and r.json()["has_more"], r.text
    assert {("hazard" if "JOIN hazard h ON h.id = page.id" in s else "notice") for s, _ in seen} == {"hazard", "notice"}
    with city["engine"].connect() as c:
        for statement, parameters in seen:
            plan = c.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters).scalar_one()[0]["Plan"]
            for node in nodes(plan):
                read = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
                assert read <= 3 * PAGE, (node["Node Type"], node.get("Relation Name"), read)
            if "JOIN hazard h ON h.id = page.id" in statement:  # flags from the few flagged inspections (0016)
                assert "ix_inspection_flagged" in {node.get("Index Name") for node in nodes(plan)}


@ON_POSTGRESQL
@pytest.mark.parametrize("who", ["admin", "officer"])
def test_the_inspections_records_are_read_by_key_whatever_the_size_of_the_city(client, world, city, who):
    """GET /inspections on PostgreSQL: the page's keys from the index, then each record's JSON by its primary
    key (server/wire_json.py) — a few rows per record of the page, never a scan of the inspections."""
    with statements(city["engine"], lambda statement: "JOIN inspection i ON i.id = page.id" in statement) as seen:
        for cursor in (None, middle(city, "inspection")):
            params = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
            r = client.get(f"{API}/inspections", params=params, headers=world.headers(city[who]))
            assert r.status_code == 200 and len(r.json()["items"]) == PAGE, r.text
    assert len(seen) == 2
    with city["engine"].connect() as c:
        for statement, parameters in seen:
            plan = c.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters).scalar_one()[0]["Plan"]
            for node in nodes(plan):
                read = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
                assert node["Node Type"] != "Seq Scan" and read <= 3 * PAGE, (node["Node Type"], read)
