"""The changes feed writes its pages straight from the rows (issue 11): the body must be, byte for byte, what
the `Changes` model made of the same records; an officer's page merges one range per site (or asks the scope
condition past SEEKS_PER_SITE_UP_TO sites); rows from before migration 0013 (xid 0) come before the rest."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import null, text, update
from sqlmodel import select

import server.scope
from server.hazards.models import Hazard
from server.hazards.service import to_public_many as hazards_public
from server.inspections.models import Inspection
from server.notices.models import Notice, NoticeHazard
from server.notices.service import to_public_many as notices_public
from server.paging import Page
from server.photos.models import PhotoLink
from server.sync.service import Changes
from server.users.models import Organization
from tests.server.test_escalation_and_feed import make_hazard

API = "/api/v1"


def feed(client, world, user, **params):
    r = client.get(f"{API}/sync/changes", params=params, headers=world.headers(user))
    assert r.status_code == 200, r.text
    return r


def read_all(client, world, user, limit):
    """Every page until caught up: ("h" | "n", id) as handed out (within a page: its hazards, then its notices)."""
    seen, cursor = [], None
    while True:
        page = feed(client, world, user, limit=limit, **({"since": cursor} if cursor else {})).json()
        seen += [("h", h["id"]) for h in page["hazards"]] + [("n", n["id"]) for n in page["notices"]]
        cursor = page["cursor"]
        if not page["has_more"]:
            return seen


def modelled(world, body: dict) -> bytes:
    """The same page through the models (to_public_many, then Changes), as FastAPI would have written it."""
    with world.session() as s:
        hazards = {h.id: h for h in s.exec(select(Hazard)).all()}
        notices = {n.id: n for n in s.exec(select(Notice)).all()}
        page = Changes(
            cursor=body["cursor"],
            hazards=hazards_public(s, [hazards[uuid.UUID(h["id"])] for h in body["hazards"]]),
            notices=notices_public(s, [notices[uuid.UUID(n["id"])] for n in body["notices"]]),
            has_more=body["has_more"],
        )
    return page.model_dump_json().encode()


@pytest.fixture
def district(world, client):
    """A company's two sites, one officer over both: an inspection far from its site with two failed items
    (photos, presence flags), a hazard reported directly at the other site, a notice for the inspection's
    hazards, and a site of another company with its own officer and hazard."""
    company = world.org()
    near, far = world.site(company), world.site(company)
    officer = world.officer(near, far)
    items = [item.id for item in world.template("gas").items_for(near.profile)[:2]]
    body = world.inspection_body(near, "gas", fail=tuple(items), officer=officer, lat=41.758, lon=123.45)
    r = client.put(f"{API}/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer))
    assert r.status_code == 201, r.text
    raised = [h["id"] for h in r.json()["hazards"]] if "hazards" in r.json() else []
    direct = make_hazard(world, client, officer, far, severity="yellow")["id"]
    with world.session() as s:
        raised = raised or [str(h.id) for h in s.exec(select(Hazard).where(Hazard.site_id == near.id)).all()]
    assert len(raised) == 2
    issue = {"organization_id": str(company.id), "hazard_ids": raised}
    r = client.post(f"{API}/notices", json=issue, headers=world.headers(officer))
    assert r.status_code in (200, 201), r.text
    other_site = world.site(world.org())
    other_officer = world.officer(other_site)
    elsewhere = make_hazard(world, client, other_officer, other_site)["id"]
    staff = world.user("property", company)
    return {
        "officer": officer,
        "staff": staff,
        "admin": world.admin(),
        "mine": {*raised, direct},
        "notice": r.json()["id"],
        "elsewhere": elsewhere,
    }


@pytest.mark.parametrize("who", ["admin", "officer", "staff"])
def test_a_page_is_byte_for_byte_what_the_models_wrote(client, world, district, who):
    r = feed(client, world, district[who])
    body = r.json()
    assert r.headers["content-type"] == "application/json"
    assert r.content == modelled(world, body)
    hazards = {h["id"]: h for h in body["hazards"]}
    assert set(hazards) >= district["mine"] and [n["id"] for n in body["notices"]] == [district["notice"]]
    assert (district["elsewhere"] in hazards) == (who == "admin")
    on_notice = [h for h in hazards.values() if h["notice_id"] == district["notice"]]
    assert len(on_notice) == 2
    assert all(len(h["photo_ids"]) == 1 and h["presence_flags"] == ["far_from_site"] for h in on_notice)
    assert body["notices"][0]["hazard_ids"] == sorted(
        (h["id"] for h in on_notice), key=lambda i: (hazards[i]["created_at"], uuid.UUID(i))
    )
    for limit in (1, 2):  # page by page, each still the models' page
        cursor = None
        while True:
            r = feed(client, world, district[who], limit=limit, **({"since": cursor} if cursor else {}))
            assert r.content == modelled(world, r.json())
            cursor = r.json()["cursor"]
            if not r.json()["has_more"]:
                break


@pytest.mark.parametrize("seeks", [50, 1], ids=["one-range-per-site", "scope-condition"])
def test_an_officer_pages_through_exactly_their_sites_in_feed_order(client, world, district, monkeypatch, seeks):
    monkeypatch.setattr(server.scope, "SEEKS_PER_SITE_UP_TO", seeks)
    everything = read_all(client, world, district["officer"], limit=100)
    assert {i for kind, i in everything if kind == "h"} == district["mine"]
    assert [i for kind, i in everything if kind == "n"] == [district["notice"]]
    one_by_one = read_all(client, world, district["officer"], 1)
    assert len(one_by_one) == len(set(one_by_one)) and sorted(one_by_one) == sorted(everything)
    for limit in (2, 3):  # the same records, in the same order where pages cut the feed
        assert sorted(read_all(client, world, district["officer"], limit)) == sorted(everything)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_rows_from_before_the_feed_had_transaction_ids_come_first(client, world, district):
    """PostgreSQL: a row stamped before migration 0013 (xid 0) sits before every row a transaction stamped,
    and the two ranges the feed asks (xid 0 after the cursor, then later transactions) together hold all."""
    old = sorted(district["mine"])[0]
    with world.session() as s:
        s.connection().execute(
            text("UPDATE hazard SET change_xid = 0, change_seq = 1 WHERE id = :id"), {"id": uuid.UUID(old)}
        )
        s.commit()
    for user in (district["officer"], district["admin"], district["staff"]):
        one_by_one = read_all(client, world, user, limit=1)
        assert one_by_one[0] == ("h", old)
        assert sorted(read_all(client, world, user, limit=500)) == sorted(one_by_one)
        caught_up = feed(client, world, user).json()["cursor"]
        assert "." in caught_up  # past the old numbering: the horizon
        assert feed(client, world, user, since="1").json()["hazards"][0]["id"] != old


AWKWARD = 'say "no" \\ to\n\tthis\x01\x1f\x7f\u2028 中文 🙂 </script>/'


@pytest.fixture
def awkward(world, district):
    """The district's records made awkward: escapes, nulls and times with and without microseconds; a photo
    linked twice; a hazard on two notices (the later one is its notice); a notice over two sites; several
    presence flags."""
    raised = sorted(district["mine"])
    with world.session() as s:
        first = s.get(Notice, uuid.UUID(district["notice"]))
        hazards = [s.get(Hazard, uuid.UUID(h)) for h in raised]
        on_notice = [h for h in hazards if h.inspection_id]
        direct = next(h for h in hazards if not h.inspection_id)
        on_notice[0].description = AWKWARD
        on_notice[0].closed_at = datetime(2026, 11, 2, 3, 4, 5, 6, tzinfo=UTC)
        on_notice[1].updated_at = datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC)
        direct.item_id = None
        inspection = s.get(Inspection, on_notice[0].inspection_id)
        inspection.presence_flags = ["far_from_site", "clock_skew", AWKWARD]
        first.note = AWKWARD
        first.basis = ""
        s.get(Organization, first.organization_id).name = 'Ünïcode "物业" \\ co'
        later = Notice(
            id=uuid.uuid4(),
            number="AWK-1",
            organization_id=first.organization_id,
            deadline=datetime(2026, 12, 1, tzinfo=UTC),
            basis=AWKWARD,
            issued_by=first.issued_by,
            issued_at=first.issued_at + timedelta(microseconds=1),
            request_hash="0" * 64,
            change_seq=first.change_seq,
            change_xid=first.change_xid,
        )
        s.add(later)
        s.flush()
        s.add_all([NoticeHazard(notice_id=later.id, hazard_id=on_notice[1].id)])
        s.add(NoticeHazard(notice_id=later.id, hazard_id=direct.id))  # a second site
        link = s.exec(select(PhotoLink).where(PhotoLink.hazard_id == on_notice[0].id)).first()
        s.add(
            PhotoLink(
                photo_id=link.photo_id,
                site_id=link.site_id,
                hazard_id=link.hazard_id,
                created_at=link.created_at + timedelta(seconds=1),
            )
        )
        s.commit()
        later_id = str(later.id)
    return {"on_notice": [str(h.id) for h in on_notice], "direct": str(direct.id), "later": later_id}


@pytest.mark.parametrize("who", ["admin", "officer", "staff"])
def test_awkward_values_are_written_as_the_models_write_them(client, world, district, awkward, who):
    """PostgreSQL writes these records' JSON itself (server/wire_json.py): every byte must still be the models'."""
    on_notice, direct, later_id = awkward["on_notice"], awkward["direct"], awkward["later"]
    r = feed(client, world, district[who])
    assert r.content == modelled(world, r.json())
    body = r.json()
    hazards = {h["id"]: h for h in body["hazards"]}
    notices = {n["id"]: n for n in body["notices"]}
    assert hazards[on_notice[0]]["description"] == AWKWARD
    assert hazards[on_notice[0]]["closed_at"] == "2026-11-02T03:04:05.000006Z"
    assert hazards[on_notice[1]]["updated_at"] == "2026-11-02T03:04:05Z"
    assert hazards[on_notice[0]]["presence_flags"] == ["far_from_site", "clock_skew", AWKWARD]
    assert len(hazards[on_notice[0]]["photo_ids"]) == 1  # linked twice, listed once
    assert hazards[on_notice[1]]["notice_id"] == later_id  # the later notice
    assert hazards[on_notice[0]]["notice_id"] == district["notice"]
    assert hazards[direct]["item_id"] is None
    if later_id in notices:  # the officer and the company see it (their sites, their notice)
        assert len(notices[later_id]["site_ids"]) == 2 and notices[later_id]["basis"] == AWKWARD
    assert notices[district["notice"]]["note"] == AWKWARD


def pages_alike(client, world, user, path: str, modelled) -> list[dict]:  # type: ignore[no-untyped-def]
    """Every page of `path`, one record a page, each byte for byte what `modelled(world, path, body)` writes
    through the models; the items of them all."""
    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        r = client.get(f"{API}{path}", params=params, headers=world.headers(user))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/json"
        assert r.content == modelled(world, path, r.json())
        seen += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return seen


def modelled_list(world, path: str, body: dict) -> bytes:
    """The list page through the models, as FastAPI would have written `Page` of them."""
    with world.session() as s:
        if path == "/hazards":
            rows = {h.id: h for h in s.exec(select(Hazard)).all()}
            items = hazards_public(s, [rows[uuid.UUID(h["id"])] for h in body["items"]])
        else:
            rows = {n.id: n for n in s.exec(select(Notice)).all()}
            items = notices_public(s, [rows[uuid.UUID(n["id"])] for n in body["items"]])
    return Page(items=items, next_cursor=body["next_cursor"]).model_dump_json().encode()


@pytest.mark.parametrize("path", ["/hazards", "/notices"])
@pytest.mark.parametrize("who", ["admin", "officer", "staff"])
def test_the_lists_pages_are_the_models_pages_too(client, world, district, awkward, who, path):
    """GET /hazards and /notices write their pages the same way as the feed (PostgreSQL writes the records):
    page by page, every byte is what `Page` of the models makes of the same records."""
    seen = [item["id"] for item in pages_alike(client, world, district[who], path, modelled_list)]
    if path == "/hazards":
        assert set(seen) >= district["mine"] and (district["elsewhere"] in seen) == (who == "admin")
        whole = client.get(f"{API}/hazards", headers=world.headers(district[who])).json()["items"]
        assert {h["id"]: h["description"] for h in whole}[awkward["on_notice"][0]] == AWKWARD
    else:
        assert {district["notice"], awkward["later"]} <= set(seen)


@pytest.fixture
def awkward_inspections(world, district):
    """The district's inspection with every float where pydantic and PostgreSQL write numbers differently
    (integral, -0, 1e-6, 9.9e-5, 1.5e15 ...), answers with escapes, no note, no photo list, an upper-case photo
    id; participants and a signature (signed at +08:00 with half a second); and a copy of it from before
    participants existed (NULL), without a signature, created at a whole second."""
    with world.session() as s:
        inspection = s.exec(select(Inspection)).one()
        photo = inspection.answers[0]["photo_ids"][0] if inspection.answers[0]["photo_ids"] else str(uuid.uuid4())
        answers = [dict(a) for a in inspection.answers]
        answers[0] = {**answers[0], "note": AWKWARD, "photo_ids": [photo.upper()]}
        answers[1] = {"item_id": answers[1]["item_id"], "result": answers[1]["result"]}  # no note, no photos
        answers[-1] = {**answers[-1], "note": ""}
        inspection.answers = answers
        inspection.lat, inspection.lon, inspection.accuracy_m = 5.0, -0.0, 1e-06
        inspection.start_lat, inspection.start_lon, inspection.start_accuracy_m = 9.9e-05, 1.5e15, 1234567890123456.8
        inspection.distance_m, inspection.device_clock_skew_s = 0.0001, -1.0000000000000001e-05
        inspection.participants = [{"unit": "police", "name": AWKWARD}, {"unit": "other", "name": '王 "五"'}]
        inspection.signature = {
            "photo_id": photo.upper(),
            "signer_name": AWKWARD,
            "signed_at": "2026-11-02T11:04:05.5+08:00",
            "lat": 41,
            "lon": None,
        }
        inspection.presence_flags = ["far_from_site", AWKWARD]
        before = Inspection(
            **{
                **inspection.model_dump(exclude={"id", "participants", "signature", "created_at", "request_hash"}),
                "id": uuid.uuid4(),
                "request_hash": "1" * 64,
                "created_at": datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC),
                "lat": None,
                "presence_flags": [],
            }
        )
        s.add(inspection)
        s.add(before)
        s.commit()
        s.execute(update(Inspection).where(Inspection.id == before.id).values(participants=null()))  # SQL NULL
        s.commit()
        return {"awkward": str(inspection.id), "before": str(before.id)}


def modelled_inspections(world, path: str, body: dict) -> bytes:
    from server.inspections.models import InspectionPage
    from server.inspections.service import to_public

    with world.session() as s:
        rows = {i.id: i for i in s.exec(select(Inspection)).all()}
        items = [to_public(rows[uuid.UUID(i["id"])]) for i in body["items"]]
    return InspectionPage(items=items, next_cursor=body["next_cursor"]).model_dump_json().encode()


@pytest.mark.parametrize("who", ["admin", "officer"])
def test_the_inspections_pages_are_the_models_pages_too(client, world, district, awkward_inspections, who):
    """GET /inspections: PostgreSQL writes each record but its hazard ids and signature (server/wire_json.py);
    page by page, every byte is what InspectionPage of the models makes of the same rows."""
    seen = pages_alike(client, world, district[who], "/inspections", modelled_inspections)
    by_id = {i["id"]: i for i in seen}
    assert set(by_id) == {awkward_inspections["awkward"], awkward_inspections["before"]}
    odd, before = by_id[awkward_inspections["awkward"]], by_id[awkward_inspections["before"]]
    assert odd["joint"] and odd["participants"][0]["name"] == AWKWARD and odd["answers"][0]["note"] == AWKWARD
    assert odd["signature"]["signed_at"] == "2026-11-02T03:04:05.500000Z" and len(odd["hazard_ids"]) == 2
    assert not before["joint"] and before["participants"] == [] and before["signature"] is None
    assert before["created_at"] == "2026-11-02T03:04:05Z"
    whole = client.get(f"{API}/inspections", headers=world.headers(district[who]))
    assert whole.content == modelled_inspections(world, "/inspections", whole.json())


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_writes_every_float_as_pydantic_does(world):
    """server/wire_json.py's float text, over 40,000 doubles: below 1e16 (every coordinate, accuracy, distance and
    clock skew the checks let in) byte for byte; above, PostgreSQL may write one digit more for the same double."""
    import json
    import random
    import struct

    from pydantic_core import to_json

    from server.wire_json import _float

    rnd = random.Random(11)
    values = [5.0, -0.0, 0.0, 1e-05, 9.9e-05, 1e-4, 1.5e-7, 1e15, 1.5e15, 1234567890123456.8, 1e16, 5e-324]
    values += [float("nan"), float("inf"), -float("inf"), 1.7976931348623157e308, 0.1 + 0.2, -41.758]
    for _ in range(20000):
        values.append(struct.unpack("d", struct.pack("Q", rnd.getrandbits(64)))[0])
        values.append(rnd.uniform(-1, 1) * 10 ** rnd.randint(-9, 18))
    query = text(f"SELECT {_float('v')} FROM unnest(CAST(:values AS float8[])) WITH ORDINALITY AS t(v, o) ORDER BY o")
    with world.session() as s:
        written = s.execute(query, {"values": "{" + ",".join(repr(v) for v in values) + "}"}).scalars().all()
    for value, text_written in zip(values, written, strict=True):
        expected = to_json(value).decode()
        if abs(value) < 1e16 or value != value:
            assert text_written == expected, value
        else:
            assert float(text_written) == json.loads(expected), value
