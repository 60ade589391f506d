"""The whole city's board and map read their indexes (migration 0015), not one heap page per row (issue 11).

PostgreSQL only, like tests/server/test_query_plans.py: the tables get thousands of rows by SQL — most
hazards closed, most notices signed, inspections over many weeks, few of them joint — then VACUUM and ANALYZE
(the visibility map an index-only scan needs) and `enable_seqscan = off`, so the planner's choice is between
indexes. Each test sends the real API request, takes the SQL the server ran and EXPLAIN ANALYZEs it."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from tests.pg import statements
from tests.server.test_query_plans import nodes

API = "/api/v1"
ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
SITES, HAZARDS, INSPECTIONS, NOTICES = 60, 8000, 6000, 3000


@pytest.fixture
def city(world, client, db_url):
    companies = [world.org() for _ in range(6)]
    sites = [world.site(companies[n % 6], street=f"第{n % 4}街道") for n in range(SITES)]
    officer = world.officer(*sites)
    admin = world.admin()
    engine = client.app.state.engine
    ids = {"sites": [s.id for s in sites], "orgs": [o.id for o in companies], "officer": officer.id}
    with engine.begin() as c:
        # Committed synchronously (the suite's server commits asynchronously): VACUUM marks a page all-visible
        # only once the rows' commit is on disk.
        c.execute(text("SET LOCAL synchronous_commit = on"))
        # An inspection every ~20 minutes for 12 weeks; one in 100 joint.
        c.execute(
            text("""
            INSERT INTO inspection (id, site_id, category, template_version, inspector_id, started_at,
                                    finished_at, answers, presence_flags, request_hash, created_at, participants)
            SELECT gen_random_uuid(), (:sites)[1 + n % 60], (ARRAY['gas', 'fire', 'electricity'])[1 + n % 3], 1,
                   :officer, now() - n * interval '20 minutes', now() - n * interval '20 minutes', '[]', '[]', 'x',
                   now() - n * interval '20 minutes',
                   CASE WHEN n % 100 = 0 THEN '[{"unit": "police", "name": "王"}]'::json
                        WHEN n % 100 = 1 THEN NULL ELSE '[]'::json END
            FROM generate_series(1, :n) n"""),
            {**ids, "n": INSPECTIONS},
        )
        # One hazard in 20 still open (four statuses), the rest closed or cancelled; deadlines in no order.
        c.execute(
            text("""
            INSERT INTO hazard (id, site_id, organization_id, category, severity, status, version, deadline,
                                description, reported_by, found_at, escalation_level, created_at, updated_at,
                                change_seq)
            SELECT gen_random_uuid(), (:sites)[1 + n % 60], (:orgs)[1 + n % 6],
                   (ARRAY['gas', 'fire', 'electricity'])[1 + n % 3], (ARRAY['red', 'yellow', 'blue'])[1 + n % 3],
                   CASE WHEN n % 20 = 0
                        THEN (ARRAY['open', 'notified', 'rectifying', 'awaiting_verification'])[1 + n % 4]
                        WHEN n % 20 = 1 THEN 'cancelled' ELSE 'closed' END, 1,
                   now() + ((n * 7919) % 997 - 500) * interval '10 minutes', '', :officer,
                   now() - n * interval '15 minutes', 0, now() - n * interval '15 minutes', now(), n
            FROM generate_series(1, :n) n"""),
            {**ids, "n": HAZARDS},
        )
        # One notice in 25 not signed.
        c.execute(
            text("""
            INSERT INTO notice (id, number, organization_id, deadline, basis, issued_by, issued_at, acknowledged_at,
                                request_hash, change_seq)
            SELECT gen_random_uuid(), 'SR-P-' || n, (:orgs)[1 + n % 6], now(), '', :officer,
                   now() - n * interval '1 hour',
                   CASE WHEN n % 25 = 0 THEN NULL ELSE now() - n * interval '50 minutes' END, 'x', n
            FROM generate_series(1, :n) n"""),
            {**ids, "n": NOTICES},
        )
    url = engine.url
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
    ) as conn:  # VACUUM: not in a transaction; table by table (a database-wide VACUUM ANALYZE left pages unmarked)
        for table in ("hazard", "inspection", "notice"):
            conn.execute(f"VACUUM {table}")
        conn.execute("ANALYZE")
        visible = conn.execute(
            "SELECT relname, relpages, relallvisible FROM pg_class WHERE relname IN ('hazard', 'inspection', 'notice')"
        ).fetchall()
        assert all(pages == visible_pages for _, pages, visible_pages in visible), visible
    return {"admin": admin, "officer": officer, "engine": engine}


def captured(engine):
    return statements(engine, lambda statement: statement.lstrip().upper().startswith("SELECT"))


def plans(client, world, city, path, **params):
    """Every SELECT the request ran, with its plan's nodes (EXPLAIN ANALYZE, sequential scans off)."""
    with captured(city["engine"]) as seen:
        r = client.get(f"{API}{path}", params=params, headers=world.headers(city["admin"]))
        assert r.status_code == 200, r.text
    out = []
    with city["engine"].connect() as c:
        c.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in seen:
            plan = c.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters).scalar_one()
            out.append((" ".join(statement.split()), list(nodes(plan[0]["Plan"]))))
    return out


def the_plan(found, *markers):
    """The plan of the one statement holding every marker."""
    matching = [plan for statement, plan in found if all(m in statement for m in markers)]
    assert len(matching) == 1, (markers, [s[:120] for s, _ in found])
    return matching[0]


def reads_index_alone(plan, index, *, rows=None):
    """An index-only scan of `index` with no heap page visited (`rows`: exactly so many entries read)."""
    scans = [n for n in plan if n.get("Index Name") == index]
    assert scans, (index, [(n["Node Type"], n.get("Index Name")) for n in plan])
    for node in scans:
        assert node["Node Type"] == "Index Only Scan", node
        assert node["Heap Fetches"] == 0, node
        if rows is not None:
            assert node["Actual Rows"] == rows, node
    assert not [n for n in plan if n["Node Type"] in ("Seq Scan", "Bitmap Heap Scan")], plan


def count(city, sql):
    with city["engine"].connect() as c:
        return c.execute(text(sql)).scalar()


@ON_POSTGRESQL
def test_the_whole_citys_board_reads_its_figures_from_indexes(client, world, city):
    found = plans(client, world, city, "/board")
    unfinished = count(
        city, "SELECT count(*) FROM hazard WHERE status IN ('open', 'notified', 'rectifying', 'awaiting_verification')"
    )
    assert 0 < unfinished < HAZARDS / 10
    # The open hazards by status, category and severity: the partial index's entries, no more.
    reads_index_alone(the_plan(found, "FROM hazard", "GROUP BY hazard.status"), "ix_hazard_open_site", rows=unfinished)
    # Notices not signed for 48 hours: the partial index of unsigned notices.
    unsigned = count(
        city, "SELECT count(*) FROM notice WHERE acknowledged_at IS NULL AND issued_at < now() - interval '48 hours'"
    )
    reads_index_alone(
        the_plan(found, "FROM notice", "acknowledged_at IS NULL"), "ix_notice_unacknowledged", rows=unsigned
    )
    # The week's rounds: one pass over the week's inspections, from the index that holds site and category.
    reads_index_alone(the_plan(found, "FROM inspection", "GROUP BY inspection.site_id"), "ix_inspection_finished_site")
    # Joint inspections of the week: the few that name someone, not the week's every inspection.
    joint = the_plan(found, "FROM inspection", "json_array_length")
    assert "ix_inspection_joint_finished" in {n.get("Index Name") for n in joint}, joint
    named = count(city, "SELECT count(*) FROM inspection WHERE participants::text NOT IN ('[]', 'null')")
    assert all(n.get("Actual Rows", 0) <= named for n in joint) and named < INSPECTIONS / 50


@ON_POSTGRESQL
def test_the_whole_citys_map_counts_open_hazards_from_the_index(client, world, city):
    unfinished = count(
        city, "SELECT count(*) FROM hazard WHERE status IN ('open', 'notified', 'rectifying', 'awaiting_verification')"
    )
    found = plans(client, world, city, "/map.geojson")
    reads_index_alone(the_plan(found, "FROM hazard", "GROUP BY hazard.site_id"), "ix_hazard_open_site", rows=unfinished)
    street = plans(client, world, city, "/map.geojson", street="第1街道")
    in_street = the_plan(street, "FROM hazard", "GROUP BY hazard.site_id")
    reads_index_alone(in_street, "ix_hazard_open_site")
    assert max(n["Actual Rows"] for n in in_street if n.get("Index Name") == "ix_hazard_open_site") < unfinished
