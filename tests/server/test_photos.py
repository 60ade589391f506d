"""Photo evidence: idempotent upload, hostile files, clean derived images, scope, and files that agree
with the database — on SQLite and PostgreSQL, through TestClient and a real HTTP server."""

from __future__ import annotations

import hashlib
import io
import socket
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text
from sqlmodel import select

from server.main import create_app
from server.photos.models import Photo, PhotoLink
from server.photos.routes import get_photo_store
from server.photos.service import photos_by_kind
from server.photos.storage import LocalDiskStore, make_photo_store
from tests.conftest import ENGLISH
from tests.factories import World
from tests.live import serve_in_thread
from tests.s3_server import MotoServer
from tests.server import photo_samples as samples


def upload(
    world,
    user,
    data,
    photo_id=None,
    kind="problem",
    filename="photo.jpg",
    content_type="image/jpeg",
    client=None,
    **fields,
):
    photo_id = photo_id or uuid.uuid4()
    return (client or world.client).put(
        f"/api/v1/photos/{photo_id}",
        headers=world.headers(user),
        files={"file": (filename, data, content_type)},
        data={"kind": kind, **{k: str(v) for k, v in fields.items()}},
    )


def fetch(world, user, photo_id, size="display", **headers):
    return world.client.get(
        f"/api/v1/photos/{photo_id}", params={"size": size}, headers={**world.headers(user), **headers}
    )


@pytest.fixture(scope="module")
def s3():
    server = MotoServer()
    server.create_bucket("saferound-photos")
    yield server
    server.stop()


@pytest.fixture(params=["disk", "s3"])
def settings(request, settings):
    """Every photo test runs against the data dir and against a real S3 API (moto's server on loopback)."""
    if request.param == "disk":
        return settings
    s3 = request.getfixturevalue("s3")
    return settings.model_copy(update={"photo_store": f"s3://saferound-photos/{uuid.uuid4().hex}", **s3.settings()})


def stored_files(settings):
    return make_photo_store(settings).list_keys()


def photo_rows(world):
    with world.session() as s:
        return s.exec(select(Photo)).all()


def has_exif(jpeg: bytes) -> bool:
    return b"Exif\x00\x00" in jpeg or bool(Image.open(io.BytesIO(jpeg)).getexif())


# ---- idempotency -----------------------------------------------------------------------------------


def test_first_upload_201_replay_200_same_body_other_bytes_409_changes_nothing(world, client, settings):
    officer = world.officer(world.site())
    photo_id = uuid.uuid4()
    data = samples.plain_jpeg()

    first = upload(world, officer, data, photo_id, taken_at="2026-11-20T09:15:00+08:00", lat=41.75, lon=123.45)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["id"] == str(photo_id) and body["sha256"] == hashlib.sha256(data).hexdigest()
    assert (body["width"], body["height"], body["kind"]) == (400, 300, "problem")
    assert body["lat"] == 41.75 and body["lon"] == 123.45
    assert datetime.fromisoformat(body["taken_at"]) == datetime(2026, 11, 20, 1, 15, tzinfo=UTC)

    replay = upload(world, officer, data, photo_id, taken_at="2026-11-20T09:15:00+08:00", lat=41.75, lon=123.45)
    assert replay.status_code == 200 and replay.json() == body
    files = stored_files(settings)
    assert len(files) == 3

    other = upload(world, officer, samples.webp(), photo_id)
    assert other.status_code == 409 and other.json()["code"] == "id_conflict"
    relabelled = upload(
        world, officer, data, photo_id, kind="scene", taken_at="2026-11-20T09:15:00+08:00", lat=41.75, lon=123.45
    )
    assert relabelled.status_code == 409
    assert stored_files(settings) == files and len(photo_rows(world)) == 1
    assert fetch(world, officer, photo_id, "original").content == data


def test_the_same_bytes_under_two_ids_are_two_photos_sharing_one_set_of_files(world, client, settings):
    officer = world.officer(world.site())
    data = samples.plain_jpeg()
    assert upload(world, officer, data).status_code == 201
    assert upload(world, officer, data, kind="scene").status_code == 201
    assert len(photo_rows(world)) == 2 and len(stored_files(settings)) == 3


# ---- hostile and awkward files ----------------------------------------------------------------------

REFUSED = [
    # name, bytes, filename, declared type, status, code
    (
        "pixel bomb PNG (30000×30000 in 100 bytes)",
        samples.png_pixel_bomb,
        "bomb.png",
        "image/png",
        422,
        "too_many_pixels",
    ),
    ("pixel bomb JPEG (60000×60000)", samples.jpeg_pixel_bomb, "bomb.jpg", "image/jpeg", 422, "too_many_pixels"),
    ("truncated JPEG", samples.truncated_jpeg, "cut.jpg", "image/jpeg", 422, "damaged_image"),
    ("JPEG header, then text", samples.jpeg_header_then_text, "x.jpg", "image/jpeg", 422, "damaged_image"),
    ("PNG with its pixels zeroed", samples.corrupt_png, "x.png", "image/png", 422, "damaged_image"),
    ("HTML named .jpg", samples.html_named_jpg, "photo.jpg", "image/jpeg", 415, "unsupported_format"),
    ("SVG with a script", samples.svg, "photo.svg", "image/svg+xml", 415, "unsupported_format"),
    ("GIF", samples.gif, "photo.gif", "image/gif", 415, "unsupported_format"),
    ("TIFF", samples.tiff, "photo.tif", "image/tiff", 415, "unsupported_format"),
    ("PDF named .jpg", samples.pdf, "photo.jpg", "image/jpeg", 415, "unsupported_format"),
    ("HEIC", samples.heic, "IMG_0001.HEIC", "image/heic", 415, "unsupported_format"),
    ("empty file", samples.empty, "photo.jpg", "image/jpeg", 422, "empty_file"),
    ("over the 20 MB cap", samples.over_the_cap, "huge.jpg", "image/jpeg", 413, "too_large"),
]


@pytest.mark.parametrize("name, make, filename, declared, status, code", REFUSED, ids=[r[0] for r in REFUSED])
def test_hostile_files_are_refused_with_a_sentence_and_leave_nothing_behind(
    world, client, settings, name, make, filename, declared, status, code
):
    officer = world.officer(world.site())
    response = upload(world, officer, make(), filename=filename, content_type=declared)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert len(response.json()["detail"]) > 30 and response.json()["detail"].endswith(".")
    assert photo_rows(world) == [] and stored_files(settings) == []


def test_heic_is_refused_saying_how_to_fix_the_camera(world, client):
    response = upload(world, world.officer(), samples.heic(), filename="IMG_0001.HEIC")
    assert "HEIC" in response.json()["detail"] and "JPEG" in response.json()["detail"]


ACCEPTED = [
    # name, bytes, original content type
    ("JPEG with a PHP script appended", samples.jpeg_with_php_appended, "image/jpeg"),
    ("JPEG with a PHP script in its comment", samples.jpeg_with_php_in_comment, "image/jpeg"),
    ("JPEG + ZIP polyglot", samples.jpeg_zip_polyglot, "image/jpeg"),
    ("EXIF-rotated JPEG with GPS", samples.rotated_jpeg_with_gps, "image/jpeg"),
    ("CMYK JPEG", samples.cmyk_jpeg, "image/jpeg"),
    ("greyscale JPEG", samples.grey_jpeg, "image/jpeg"),
    ("JPEG with a broken colour profile", samples.jpeg_broken_icc, "image/jpeg"),
    ("JPEG with garbage EXIF", samples.jpeg_garbage_exif, "image/jpeg"),
    ("16-bit grey PNG", samples.png_16bit, "image/png"),
    ("16-bit RGB PNG", samples.png_16bit_rgb, "image/png"),
    ("PNG with alpha", samples.png_alpha, "image/png"),
    ("palette PNG with transparency", samples.png_palette_transparent, "image/png"),
    ("WebP", samples.webp, "image/webp"),
]
MARKERS = (samples.PHP, b"<?php", b"PK\x03\x04", b"payload.php")


@pytest.mark.parametrize("name, make, content_type", ACCEPTED, ids=[a[0] for a in ACCEPTED])
@pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")  # Pillow on the garbage EXIF
def test_awkward_photos_are_stored_and_served_as_clean_upright_rgb_jpegs(
    world, client, settings, name, make, content_type
):
    officer = world.officer(world.site())
    data = make()
    response = upload(world, officer, data, filename="upload.bin", content_type="application/octet-stream")
    assert response.status_code == 201, response.text
    photo_id = response.json()["id"]
    assert response.json()["content_type"] == content_type

    for size, longest in (("display", 1600), ("thumb", 320)):
        served = fetch(world, officer, photo_id, size)
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert served.content[:3] == b"\xff\xd8\xff" and served.content.rstrip(b"\x00")[-2:] == b"\xff\xd9"
        assert not any(marker in served.content for marker in MARKERS), "appended bytes came back out"
        assert not has_exif(served.content) and b"ICC_PROFILE" not in served.content
        image = Image.open(io.BytesIO(served.content))
        assert image.mode == "RGB" and max(image.size) <= longest
    original = fetch(world, officer, photo_id, "original")
    assert original.content == data and original.headers["content-type"] == content_type  # the evidence, as sent
    assert original.headers["x-content-type-options"] == "nosniff"
    assert original.headers["content-disposition"].startswith("attachment")


def display_image(world, user, photo_id):
    return Image.open(io.BytesIO(fetch(world, user, photo_id).content))


def close(pixel, expected, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected))


def test_rotated_photo_stands_upright_and_its_gps_and_time_come_from_exif(world, client):
    officer = world.officer(world.site())
    body = upload(world, officer, samples.rotated_jpeg_with_gps()).json()
    assert (body["width"], body["height"]) == (300, 400)  # stored 400×300, orientation 6
    assert body["lat"] == pytest.approx(41.7452, abs=1e-6) and body["lon"] == pytest.approx(123.4489, abs=1e-6)
    assert datetime.fromisoformat(body["taken_at"]) == datetime(2026, 11, 20, 1, 15, tzinfo=UTC)
    image = display_image(world, officer, body["id"])
    assert image.size == (300, 400)
    # The stored top-left red block is the top-right corner once turned 90° clockwise.
    assert close(image.getpixel((285, 15)), samples.RED)
    assert close(image.getpixel((15, 15)), samples.BLUE)
    assert close(image.getpixel((15, 340)), samples.BLUE)  # the caption strip covers the bottom 30 px


def test_form_fields_win_over_exif_and_a_time_without_offset_is_local(world, client, settings):
    officer = world.officer(world.site())
    body = upload(
        world, officer, samples.rotated_jpeg_with_gps(), taken_at="2026-11-19T08:00:00+08:00", lat=40.0, lon=120.0
    ).json()
    assert (body["lat"], body["lon"]) == (40.0, 120.0)
    assert datetime.fromisoformat(body["taken_at"]) == datetime(2026, 11, 19, 0, 0, tzinfo=UTC)
    local = upload(world, officer, samples.jpeg_local_time_without_offset()).json()
    assert settings.timezone == "Asia/Shanghai"
    assert datetime.fromisoformat(local["taken_at"]) == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    assert local["lat"] is None and local["lon"] is None


def test_colour_conversions_are_faithful(world, client):
    officer = world.officer(world.site())
    cyan = display_image(world, officer, upload(world, officer, samples.cmyk_jpeg()).json()["id"])
    assert close(cyan.getpixel((100, 75)), (0, 255, 255), 30)
    grey = display_image(world, officer, upload(world, officer, samples.png_16bit()).json()["id"])
    assert close(grey.getpixel((10, 10)), (128, 128, 128), 6)  # not clipped to white
    orange = display_image(world, officer, upload(world, officer, samples.png_16bit_rgb()).json()["id"])
    assert close(orange.getpixel((10, 10)), (255, 128, 0), 6)
    for make in (samples.png_alpha, samples.png_palette_transparent):
        image = display_image(world, officer, upload(world, officer, make()).json()["id"])
        assert close(image.getpixel((5, 5)), (255, 255, 255), 6)  # transparent -> white, not black
        assert close(image.getpixel((image.width - 5, 5)), samples.RED, 20)


@pytest.fixture
def tight_settings(settings):
    return settings.model_copy(update={"photo_max_bytes": 200_000, "photo_max_pixels": 1_000_000})


def test_pixel_and_byte_limits_come_from_settings(tight_settings):
    with TestClient(create_app(tight_settings), headers=ENGLISH) as client:
        world = World(client)
        officer = world.officer()
        big = upload(world, officer, samples.encode(samples.scene((1500, 1000))))
        assert big.status_code == 422 and big.json()["code"] == "too_many_pixels"
        assert "1500 × 1000" in big.json()["detail"]
        heavy = upload(world, officer, samples.encode(samples.noisy((500, 400)), quality=100))
        assert heavy.status_code == 413 and "MB" in heavy.json()["detail"]
        assert stored_files(tight_settings) == []


def test_bad_forms_get_sentences(world, client):
    officer = world.officer()
    headers = world.headers(officer)
    url = f"/api/v1/photos/{uuid.uuid4()}"
    missing_kind = client.put(url, headers=headers, files={"file": ("p.jpg", samples.plain_jpeg(), "image/jpeg")})
    assert missing_kind.status_code == 422 and "'kind' is required" in missing_kind.json()["detail"]
    bad_kind = upload(world, officer, samples.plain_jpeg(), kind="selfie")
    assert bad_kind.status_code == 422 and "kind" in bad_kind.json()["detail"]
    no_file = client.put(url, headers=headers, files={"kind": (None, "scene")})
    assert no_file.status_code == 422 and "'file' is required" in no_file.json()["detail"]
    half_gps = upload(world, officer, samples.plain_jpeg(), lat=41.7)
    assert half_gps.status_code == 422 and "lat and lon together" in half_gps.json()["detail"]
    json_body = client.put(url, headers=headers, json={"kind": "scene"})
    assert json_body.status_code == 415 and json_body.json()["code"] == "not_multipart"
    unsigned = client.put(url, files={"file": ("p.jpg", samples.plain_jpeg(), "image/jpeg")}, data={"kind": "scene"})
    assert unsigned.status_code == 401


# ---- serving --------------------------------------------------------------------------------------


def test_get_serves_sizes_with_strong_etag_and_private_caching(world, client, settings):
    officer = world.officer(world.site())
    data = samples.encode(samples.noisy((2000, 1500)), quality=85)
    photo_id = upload(world, officer, data).json()["id"]
    display = fetch(world, officer, photo_id)
    assert Image.open(io.BytesIO(display.content)).size == (1600, 1200)
    assert Image.open(io.BytesIO(fetch(world, officer, photo_id, "thumb").content)).size == (320, 240)
    etag = display.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert display.headers["cache-control"] == f"private, max-age={settings.photo_cache_seconds}"
    again = fetch(world, officer, photo_id, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert fetch(world, officer, photo_id, "thumb", **{"If-None-Match": etag}).status_code == 200
    original = fetch(world, officer, photo_id, "original")
    assert hashlib.sha256(original.content).hexdigest() == hashlib.sha256(data).hexdigest()
    assert original.headers["etag"] != etag
    assert fetch(world, officer, photo_id, "huge").status_code == 422


# ---- scope --------------------------------------------------------------------------------------------


def failed_inspection(world, client, officer, site):
    item = world.template("gas").items_for(site.profile)[0]
    body = world.inspection_body(site, "gas", fail=(item.id,), officer=officer)
    response = client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer))
    assert response.status_code == 201, response.text
    answer = next(a for a in body["answers"] if a["item_id"] == item.id)
    return response.json()["hazard_ids"][0], answer["photo_ids"][0]


def test_scope_out_of_scope_is_exactly_like_missing(world, client):
    company_a, company_b = world.org(), world.org()
    site_a, site_b = world.site(company_a), world.site(company_b)
    officer_a, officer_b = world.officer(site_a), world.officer(site_b)
    staff_a, staff_b = world.user("property", company_a), world.user("property", company_b)
    admin = world.admin()
    hazard_id, photo_id = failed_inspection(world, client, officer_a, site_a)

    missing = fetch(world, staff_b, uuid.uuid4())
    assert missing.status_code == 404
    for outsider in (staff_b, officer_b):
        for size in ("display", "thumb", "original"):
            response = fetch(world, outsider, photo_id, size)
            assert response.status_code == 404 and response.json() == missing.json()
    for insider in (officer_a, admin, staff_a):
        assert fetch(world, insider, photo_id).status_code == 200
    assert fetch(world, officer_a, photo_id, "original").status_code == 200
    assert fetch(world, admin, photo_id, "original").status_code == 200
    restricted = fetch(world, staff_a, photo_id, "original")
    assert restricted.status_code == 403 and restricted.json()["code"] == "original_restricted"
    assert "size=display" in restricted.json()["detail"]

    # Evidence uploaded by company B's staff is theirs (and the officers'), not company A's.
    theirs = world.photo(staff_b, kind="rectification")
    assert fetch(world, staff_b, theirs).status_code == 200
    assert fetch(world, staff_a, theirs).status_code == 404
    # A second officer assigned to site A sees the photo through its link to the site.
    colleague = world.officer(site_a)
    assert fetch(world, colleague, photo_id).status_code == 200


# ---- records that name photos --------------------------------------------------------------------------


def test_records_naming_unknown_or_foreign_photos_are_refused_naming_the_ids(world, client):
    site, elsewhere = world.site(world.org()), world.site(world.org())
    officer, stranger = world.officer(site), world.officer(elsewhere)
    foreign = world.photo(stranger)
    ghost = str(uuid.uuid4())
    item = world.template("gas").items_for(site.profile)[0]
    body = world.inspection_body(site, "gas", fail=(item.id,), officer=officer)
    answer = next(a for a in body["answers"] if a["item_id"] == item.id)
    answer["photo_ids"] += [foreign, ghost]
    response = client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer))
    assert response.status_code == 422 and response.json()["code"] == "unknown_photos"
    assert response.json()["params"]["photo_ids"] == [foreign, ghost]
    assert foreign in response.json()["detail"] and ghost in response.json()["detail"]

    hazard = {
        "site_id": str(site.id),
        "category": "fire",
        "severity": "red",
        "description": "消防通道堵塞",
        "photo_ids": [ghost],
    }
    refused = client.put(f"/api/v1/hazards/{uuid.uuid4()}", json=hazard, headers=world.headers(officer))
    assert refused.status_code == 422 and refused.json()["params"]["photo_ids"] == [ghost]
    training = {
        "site_id": str(site.id),
        "held_at": "2026-11-20T10:00:00+08:00",
        "topics": ["fire"],
        "trainer": "张伟",
        "attendee_count": 30,
        "duration_minutes": 60,
        "photo_ids": [foreign],
    }
    refused = client.put(f"/api/v1/trainings/{uuid.uuid4()}", json=training, headers=world.headers(officer))
    assert refused.status_code == 422 and refused.json()["code"] == "unknown_photos"
    with world.session() as s:
        assert s.exec(select(PhotoLink)).all() == []


def test_records_link_their_photos_and_photos_by_kind_groups_them_in_time_order(world, client):
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    item, passed = world.template("gas").items_for(site.profile)[:2]
    problem = world.photo(officer, "problem")
    scene_photo = world.photo(officer, "scene")
    body = world.inspection_body(site, "gas", fail=(item.id,), photo=False)
    for answer in body["answers"]:
        answer["photo_ids"] = (
            [problem] if answer["item_id"] == item.id else [scene_photo] if answer["item_id"] == passed.id else []
        )
    inspection_id = uuid.uuid4()
    response = client.put(f"/api/v1/inspections/{inspection_id}", json=body, headers=world.headers(officer))
    assert response.status_code == 201, response.text
    hazard_id = uuid.UUID(response.json()["hazard_ids"][0])

    later = world.photo(officer, "scene", taken_at="2026-11-20T12:00:00+08:00")
    earlier = world.photo(officer, "scene", taken_at="2026-11-20T08:00:00+08:00")
    reported_id = uuid.uuid4()
    reported = client.put(
        f"/api/v1/hazards/{reported_id}",
        headers=world.headers(officer),
        json={
            "site_id": str(site.id),
            "category": "fire",
            "severity": "yellow",
            "description": "楼道堆放杂物",
            "photo_ids": [later, earlier, later],
        },
    )
    assert reported.status_code == 201, reported.text
    training_photo = world.photo(officer, "training")
    training_id = uuid.uuid4()
    training = client.put(
        f"/api/v1/trainings/{training_id}",
        headers=world.headers(officer),
        json={
            "site_id": str(site.id),
            "held_at": "2026-11-20T10:00:00+08:00",
            "topics": ["fire"],
            "trainer": "张伟",
            "attendee_count": 30,
            "duration_minutes": 60,
            "photo_ids": [training_photo],
        },
    )
    assert training.status_code == 201, training.text

    with world.session() as s:
        links = {
            (str(link.photo_id), link.hazard_id, link.inspection_id, link.training_id)
            for link in s.exec(select(PhotoLink)).all()
        }
        assert links == {
            (problem, hazard_id, inspection_id, None),
            (scene_photo, None, inspection_id, None),
            (later, reported_id, None, None),
            (earlier, reported_id, None, None),
            (training_photo, None, None, training_id),
        }
        assert photos_by_kind(session=s, hazard_id=hazard_id) == {"problem": [uuid.UUID(problem)]}
        assert photos_by_kind(session=s, hazard_id=reported_id) == {"scene": [uuid.UUID(earlier), uuid.UUID(later)]}
    # Company staff now see the hazard's photos, but not the inspection's other photos.
    staff = world.user("property", company)
    assert fetch(world, staff, problem).status_code == 200
    assert fetch(world, staff, scene_photo).status_code == 404


# ---- failures leave nothing behind -------------------------------------------------------------------------


def refuse_photo_inserts(world):
    """A real database failure: a trigger that aborts every INSERT into photo."""
    with world.session() as s:
        if s.get_bind().dialect.name == "sqlite":
            s.exec(
                text("CREATE TRIGGER photo_refused BEFORE INSERT ON photo BEGIN SELECT RAISE(ABORT, 'disk full'); END")
            )
        else:
            s.exec(
                text(
                    "CREATE FUNCTION refuse_photo() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$"
                )
            )
            s.exec(
                text("CREATE TRIGGER photo_refused BEFORE INSERT ON photo FOR EACH ROW EXECUTE FUNCTION refuse_photo()")
            )
        s.commit()


def test_a_failed_database_insert_leaves_no_row_and_no_file_but_keeps_shared_files(settings):
    with TestClient(create_app(settings), raise_server_exceptions=False, headers=ENGLISH) as client:
        world = World(client)
        officer = world.officer()
        shared = samples.plain_jpeg()
        assert upload(world, officer, shared).status_code == 201
        kept = stored_files(settings)
        refuse_photo_inserts(world)

        failed = upload(world, officer, samples.webp())
        assert failed.status_code == 500 and failed.json()["code"] == "internal_error"
        failed_again = upload(world, officer, shared)  # same bytes as a stored photo: its files must stay
        assert failed_again.status_code == 500
        assert len(photo_rows(world)) == 1 and stored_files(settings) == kept
        assert fetch(world, officer, photo_rows(world)[0].id).status_code == 200


class DiskFullOnSecondFile(LocalDiskStore):
    def __init__(self, root):
        super().__init__(root)
        self.writes = 0

    def put(self, key, data):
        self.writes += 1
        if self.writes == 2:
            raise OSError(28, "No space left on device")
        super().put(key, data)


def test_a_storage_failure_midway_leaves_no_row_and_no_file(settings):
    app = create_app(settings)
    app.dependency_overrides[get_photo_store] = lambda: DiskFullOnSecondFile(settings.photos_dir)
    with TestClient(app, raise_server_exceptions=False, headers=ENGLISH) as client:
        world = World(client)
        response = upload(world, world.officer(), samples.plain_jpeg())
        assert response.status_code == 500
        assert photo_rows(world) == [] and stored_files(settings) == []


# ---- a real HTTP server: streaming cap, dropped connections, retries ------------------------------------


@pytest.fixture
def live(settings):
    app = create_app(settings.model_copy(update={"photo_max_bytes": 300_000}))
    with serve_in_thread(app) as base_url, httpx.Client(base_url=base_url, timeout=30, headers=ENGLISH) as http:
        yield base_url, World.for_app(app, http)


def multipart(data: bytes, kind: str = "problem") -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def raw_request(base_url, head: str) -> socket.socket:
    parts = urlsplit(base_url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    sock.sendall(head.encode())
    return sock


def head_for(world, user, photo_id, content_type, **headers) -> str:
    lines = [
        f"PUT /api/v1/photos/{photo_id} HTTP/1.1",
        "Host: testserver",
        f"Content-Type: {content_type}",
        *[f"{k}: {v}" for k, v in {**world.headers(user), **headers}.items()],
    ]
    return "\r\n".join(lines) + "\r\n\r\n"


def read_status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1])


def wait_until(predicate, seconds=5.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_a_declared_oversized_upload_is_answered_413_before_any_body_is_sent(live, settings):
    base_url, world = live
    officer = world.officer()
    sock = raw_request(
        base_url,
        head_for(
            world, officer, uuid.uuid4(), "multipart/form-data; boundary=x", **{"Content-Length": str(50 * 1024 * 1024)}
        ),
    )
    with sock:
        assert read_status(sock) == 413  # not one byte of the 50 MB was sent
    assert stored_files(settings) == []


def test_a_streamed_upload_without_length_is_cut_off_at_the_cap(live, settings):
    base_url, world = live
    officer = world.officer()
    body, content_type = multipart(samples.plain_jpeg() + bytes(2_000_000))
    sock = raw_request(
        base_url, head_for(world, officer, uuid.uuid4(), content_type, **{"Transfer-Encoding": "chunked"})
    )
    with sock:
        sent = 0
        for start in range(0, 600_000, 16_384):  # 600 kB of the 2 MB body, twice the cap; no final chunk
            piece = body[start : start + 16_384]
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            sent += len(piece)
        assert read_status(sock) == 413
    assert sent < len(body) and stored_files(settings) == []


def test_a_body_cut_midway_leaves_nothing_and_the_retry_stores_one_photo(live, settings):
    base_url, world = live
    officer = world.officer()
    photo_id = uuid.uuid4()
    body, content_type = multipart(samples.plain_jpeg())
    sock = raw_request(base_url, head_for(world, officer, photo_id, content_type, **{"Content-Length": str(len(body))}))
    sock.sendall(body[: len(body) // 2])
    sock.close()  # the link drops halfway
    time.sleep(0.3)
    assert photo_rows(world) == [] and stored_files(settings) == []

    retry = httpx.put(
        f"{base_url}/api/v1/photos/{photo_id}",
        content=body,
        timeout=30,
        headers={**world.headers(officer), "Content-Type": content_type},
    )
    assert retry.status_code == 201, retry.text
    assert len(photo_rows(world)) == 1 and len(stored_files(settings)) == 3


def test_a_replay_after_the_answer_was_lost_stores_one_photo(live, settings):
    base_url, world = live
    officer = world.officer()
    photo_id = uuid.uuid4()
    body, content_type = multipart(samples.rotated_jpeg_with_gps())
    sock = raw_request(base_url, head_for(world, officer, photo_id, content_type, **{"Content-Length": str(len(body))}))
    sock.sendall(body)
    sock.close()  # the whole photo went up, the answer never came back
    replay = httpx.put(
        f"{base_url}/api/v1/photos/{photo_id}",
        content=body,
        timeout=30,
        headers={**world.headers(officer), "Content-Type": content_type},
    )
    assert replay.status_code in (200, 201), replay.text
    assert wait_until(lambda: len(photo_rows(world)) == 1)
    time.sleep(0.3)  # the first request may still be finishing: it must not add or remove anything
    assert len(photo_rows(world)) == 1 and len(stored_files(settings)) == 3
    again = httpx.put(
        f"{base_url}/api/v1/photos/{photo_id}",
        content=body,
        timeout=30,
        headers={**world.headers(officer), "Content-Type": content_type},
    )
    assert again.status_code == 200 and again.json() == replay.json()


def test_two_simultaneous_uploads_of_the_same_photo_store_it_once(live, settings):
    from concurrent.futures import ThreadPoolExecutor

    base_url, world = live
    officer = world.officer()
    photo_id = uuid.uuid4()
    body, content_type = multipart(samples.encode(samples.noisy((600, 450)), quality=80))
    headers = {**world.headers(officer), "Content-Type": content_type}
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda _: httpx.put(f"{base_url}/api/v1/photos/{photo_id}", content=body, headers=headers, timeout=30),
                range(4),
            )
        )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.text for a in answers}) == 1
    assert len(photo_rows(world)) == 1 and len(stored_files(settings)) == 3


@pytest.mark.parametrize("settings", ["s3"], indirect=True)  # only the object-store variant of the fixture
def test_with_an_object_store_named_photos_live_in_its_bucket_not_on_disk(world, client, settings):
    assert settings.photo_store
    officer = world.officer(world.site(world.org()))
    photo_id = world.photo(officer)
    keys = stored_files(settings)
    assert len(keys) == 3 and all(k.endswith(("-original.jpg", "-display.jpg", "-thumb.jpg")) for k in keys)
    assert not settings.photos_dir.exists() or not any(settings.photos_dir.rglob("*.jpg"))
    assert fetch(world, officer, photo_id).status_code == 200
