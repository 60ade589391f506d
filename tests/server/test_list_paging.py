"""Hazard pages seek by (created_at, id): every page in order, ties on the same instant kept apart, filters
by one or several statuses, by severity and overdue giving the same rows as reading everything at once."""

from __future__ import annotations

import uuid
from datetime import timedelta

from server.common import utcnow
from server.hazards.models import Hazard

API = "/api/v1"
STATUSES = ["open", "notified", "closed", "rectifying"]


def many_hazards(world, sites, officer, count=23):
    """`count` hazards in several states over `sites`; groups of three share one created_at (ties by id)."""
    base = utcnow() - timedelta(days=40)
    rows = []
    with world.session() as s:
        for n in range(count):
            site = sites[n % len(sites)]
            at = base + timedelta(hours=n // 3)
            rows.append(
                Hazard(
                    id=uuid.uuid4(),
                    site_id=site.id,
                    organization_id=site.property_org_id,
                    category="fire",
                    severity=["red", "yellow", "blue"][n % 3],
                    status=STATUSES[n % 4],
                    deadline=at + timedelta(days=20 if n % 5 else 60),  # some are not yet due
                    description=f"隐患{n}",
                    reported_by=officer.id,
                    found_at=at,
                    created_at=at,
                    updated_at=at,
                )
            )
        s.add_all(rows)
        s.commit()
    return sorted(rows, key=lambda h: (h.created_at, str(h.id)), reverse=True)


def walk(client, headers, limit, **params):
    seen, cursor = [], None
    while True:
        r = client.get(
            f"{API}/hazards",
            params={"limit": limit, **params, **({"cursor": cursor} if cursor else {})},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= limit
        seen += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return seen


def test_hazard_pages_follow_newest_first_through_ties_and_every_filter(world, client):
    company = world.org()
    sites = [world.site(company) for _ in range(4)]
    officer = world.officer(*sites[:3])  # one seek per site of theirs; the fourth is not theirs
    everything = many_hazards(world, sites, officer, count=31)
    now = utcnow()
    cases = [
        ({}, lambda h: True),
        ({"status": "open"}, lambda h: h.status == "open"),
        ({"status": ["open", "notified", "rectifying"]}, lambda h: h.status != "closed"),
        ({"severity": "red"}, lambda h: h.severity == "red"),
        ({"overdue": "true"}, lambda h: h.status not in ("closed", "cancelled") and h.deadline < now),
        (
            {"status": ["open", "closed"], "severity": "yellow"},
            lambda h: h.status in ("open", "closed") and h.severity == "yellow",
        ),
    ]
    for who in (officer, world.user("property", company), world.admin()):
        expected = [h for h in everything if who is not officer or h.site_id != sites[3].id]
        for params, wanted in cases:
            want = [str(h.id) for h in expected if wanted(h)]
            assert want, params
            for limit in (4, 500):  # 4: cursors fall inside groups of tied created_at
                got = walk(client, world.headers(who), limit, **params)
                assert [h["id"] for h in got] == want, (who.role, params, limit)
    overdue = walk(client, world.headers(officer), 4, overdue="true")
    assert overdue and all(h["overdue"] for h in overdue)


def test_a_hazard_list_cursor_from_another_list_still_pages_newest_first(world, client):
    """The cursor names a position (created_at, id), not a list: it is the same opaque format as before."""
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    expected = many_hazards(world, [site], officer, count=9)
    first = client.get(f"{API}/hazards", params={"limit": 4}, headers=world.headers(officer)).json()
    rest = client.get(
        f"{API}/hazards", params={"limit": 10, "cursor": first["next_cursor"]}, headers=world.headers(officer)
    ).json()
    assert [h["id"] for h in first["items"] + rest["items"]] == [str(h.id) for h in expected]
    assert rest["next_cursor"] is None


def test_an_officers_inspections_page_newest_first_over_their_sites_only(world, client):
    from server.inspections.models import Inspection

    company = world.org()
    sites = [world.site(company) for _ in range(3)]
    officer = world.officer(*sites[:2])
    base = utcnow() - timedelta(days=3)
    rows = []
    with world.session() as s:
        for n in range(13):
            at = base + timedelta(hours=n // 2)  # pairs share created_at
            rows.append(
                Inspection(
                    id=uuid.uuid4(),
                    site_id=sites[n % 3].id,
                    category="gas",
                    template_version=1,
                    inspector_id=officer.id,
                    started_at=at,
                    finished_at=at,
                    answers=[],
                    request_hash="x",
                    created_at=at,
                )
            )
        s.add_all(rows)
        s.commit()
    newest = sorted(rows, key=lambda r: (r.created_at, str(r.id)), reverse=True)
    for who, seen in ((officer, {sites[0].id, sites[1].id}), (world.admin(), {s.id for s in sites})):
        got, cursor = [], None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            body = client.get(f"{API}/inspections", params=params, headers=world.headers(who)).json()
            got += [i["id"] for i in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert got == [str(r.id) for r in newest if r.site_id in seen], who.role
