"""Hazard pages seek by (created_at, id): every page in order, ties on the same instant kept apart, filters
by one or several statuses, by severity and overdue giving the same rows as reading everything at once."""

from __future__ import annotations

import uuid
from datetime import timedelta

from server.common import utcnow
from server.hazards.models import Hazard

API = "/api/v1"
STATUSES = ["open", "notified", "closed", "rectifying"]


def many_hazards(world, site, officer, count=23):
    """`count` hazards in several states; groups of three share one created_at (ties broken by id)."""
    base = utcnow() - timedelta(days=40)
    rows = []
    with world.session() as s:
        for n in range(count):
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
    site = world.site(company)
    officer = world.officer(site)
    expected = many_hazards(world, site, officer)
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
        for params, wanted in cases:
            want = [str(h.id) for h in expected if wanted(h)]
            assert want, params
            for limit in (2, 3, 500):
                got = walk(client, world.headers(who), limit, **params)
                assert [h["id"] for h in got] == want, (who.role, params, limit)
    overdue = walk(client, world.headers(officer), 4, overdue="true")
    assert overdue and all(h["overdue"] for h in overdue)


def test_a_hazard_list_cursor_from_another_list_still_pages_newest_first(world, client):
    """The cursor names a position (created_at, id), not a list: it is the same opaque format as before."""
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    expected = many_hazards(world, site, officer, count=9)
    first = client.get(f"{API}/hazards", params={"limit": 4}, headers=world.headers(officer)).json()
    rest = client.get(
        f"{API}/hazards", params={"limit": 10, "cursor": first["next_cursor"]}, headers=world.headers(officer)
    ).json()
    assert [h["id"] for h in first["items"] + rest["items"]] == [str(h.id) for h in expected]
    assert rest["next_cursor"] is None
