"""Races on a real HTTP server: one winner per version, gap-free notice numbers, a feed that misses nothing."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from server.main import create_app
from tests.factories import World, small_jpeg
from tests.live import serve_in_thread


@pytest.fixture
def live(settings):
    """A real server; `world` builds data through its app."""
    app = create_app(settings)
    with serve_in_thread(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        yield base_url, World.for_app(app, http)


def raise_hazards(base_url, world, officer, site, count):
    template = world.template("gas")
    items = [i.id for i in template.items_for(site.profile)][:count]
    body = world.inspection_body(site, "gas", fail=tuple(items), officer=officer)
    response = httpx.put(
        f"{base_url}/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer), timeout=30
    )
    assert response.status_code == 201, response.text
    return response.json()["hazard_ids"]


def upload_photo(base_url, world, user, kind):
    photo_id = str(uuid.uuid4())
    response = httpx.put(
        f"{base_url}/api/v1/photos/{photo_id}",
        headers=world.headers(user),
        files={"file": ("photo.jpg", small_jpeg(), "image/jpeg")},
        data={"kind": kind},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return photo_id


def test_two_transitions_from_the_same_version_one_wins_one_412(live):
    base_url, world = live
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    fixed = upload_photo(base_url, world, officer, "verification")
    for hazard_id in raise_hazards(base_url, world, officer, site, 3):
        barrier = threading.Barrier(2)
        bodies = [
            {"action": "fix_on_spot", "base_version": 1, "photo_ids": [fixed]},
            {"action": "cancel", "base_version": 1, "note": "重复上报"},
        ]

        def send(body):
            barrier.wait()
            return httpx.put(
                f"{base_url}/api/v1/hazards/{hazard_id}/transitions/{uuid.uuid4()}",
                json=body,
                headers=world.headers(officer),
                timeout=30,
            )

        with ThreadPoolExecutor(2) as pool:
            codes = sorted(r.status_code for r in pool.map(send, bodies))
        assert codes == [201, 412]
        hazard = httpx.get(f"{base_url}/api/v1/hazards/{hazard_id}", headers=world.headers(officer)).json()
        assert hazard["version"] == 2
        assert len(hazard["history"]) == 2  # raise + the one winner


def test_concurrent_notices_get_distinct_gap_free_numbers(live):
    base_url, world = live
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    hazard_ids = raise_hazards(base_url, world, officer, site, 8)
    barrier = threading.Barrier(len(hazard_ids))

    def issue(hazard_id):
        barrier.wait()
        return httpx.post(
            f"{base_url}/api/v1/notices",
            json={"organization_id": str(company.id), "hazard_ids": [hazard_id]},
            headers=world.headers(officer),
            timeout=60,
        )

    with ThreadPoolExecutor(len(hazard_ids)) as pool:
        responses = list(pool.map(issue, hazard_ids))
    assert [r.status_code for r in responses] == [201] * len(hazard_ids)
    numbers = sorted(int(r.json()["number"].rsplit("-", 1)[1]) for r in responses)
    assert numbers == list(range(1, len(hazard_ids) + 1))


def test_changes_feed_misses_nothing_under_concurrent_writes(live):
    base_url, world = live
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    staff = world.user("property", company)
    hazard_ids = raise_hazards(base_url, world, officer, site, 6)
    seen: dict[str, int] = {}
    stop = threading.Event()

    def read_feed():
        cursor = None
        while True:
            final = stop.is_set()  # set before this request began: it sees every write
            params = {"limit": 3} | ({"since": cursor} if cursor else {})
            page = httpx.get(
                f"{base_url}/api/v1/sync/changes", params=params, headers=world.headers(staff), timeout=30
            ).json()
            for hazard in page["hazards"]:
                seen[hazard["id"]] = max(seen.get(hazard["id"], 0), hazard["version"])
            cursor = page["cursor"]
            if final and not page["has_more"]:
                return cursor

    def notify_and_cancel(hazard_id):
        r = httpx.post(
            f"{base_url}/api/v1/notices",
            json={"organization_id": str(company.id), "hazard_ids": [hazard_id]},
            headers=world.headers(officer),
            timeout=30,
        )
        assert r.status_code == 201, r.text
        r = httpx.put(
            f"{base_url}/api/v1/hazards/{hazard_id}/transitions/{uuid.uuid4()}",
            json={"action": "cancel", "base_version": 2, "note": "误报"},
            headers=world.headers(officer),
            timeout=30,
        )
        assert r.status_code == 201, r.text

    with ThreadPoolExecutor(4) as pool:
        reader = pool.submit(read_feed)
        list(pool.map(notify_and_cancel, hazard_ids))
        stop.set()
        reader.result(timeout=60)
    assert seen == {h: 3 for h in hazard_ids}
