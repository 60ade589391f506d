"""Derived photos carry a burned-in caption strip (site, time in the deployment's zone, who, coordinates);
the original is served byte for byte as uploaded."""

from __future__ import annotations

import io
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from PIL import Image

from server.photos.caption import Caption
from tests.server import photo_samples as samples
from tests.server.test_photos import fetch, upload


def dark(pixel):
    return sum(pixel[:3]) < 3 * 90


def test_display_and_thumb_carry_the_strip_and_the_original_is_untouched(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    original = samples.rotated_jpeg_with_gps()
    photo = upload(world, officer, original).json()

    before = fetch(world, officer, photo["id"])
    assert before.status_code == 200
    # Once an inspection names the photo, the caption names the site: a new file, a new ETag.
    item = world.template("gas").items_for(site.profile)[0].id
    body = world.inspection_body(site, "gas", fail=(item,), photo=False)
    body["answers"][0]["photo_ids"] = [photo["id"]]
    assert (
        client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer)).status_code == 201
    )
    after = fetch(world, officer, photo["id"])
    assert after.headers["ETag"] != before.headers["ETag"]
    again = fetch(world, officer, photo["id"], **{"If-None-Match": after.headers["ETag"]})
    assert again.status_code == 304

    for size in ("display", "thumb"):
        image = Image.open(io.BytesIO(fetch(world, officer, photo["id"], size=size).content)).convert("RGB")
        width, height = image.size
        strip = [image.getpixel((x, height - 4)) for x in range(0, width, 7)]
        assert sum(dark(p) for p in strip) > 0.6 * len(strip), f"{size}: no caption strip along the bottom"
        assert any(sum(p) > 600 for x in range(width) for p in [image.getpixel((x, height - 12))]) or size == "thumb"
    assert fetch(world, officer, photo["id"], size="original").content == original


def test_the_caption_says_site_local_time_who_and_where():
    caption = Caption(
        site="幸福里社区",
        taken_at=datetime(2026, 11, 23, 0, 30, tzinfo=ZoneInfo("UTC")),
        who="王警官",
        lat=41.74521,
        lon=123.44893,
    )
    assert caption.lines(ZoneInfo("Asia/Shanghai")) == [
        "幸福里社区  2026-11-23 08:30",
        "拍摄：王警官  41.74521, 123.44893",
    ]
    no_fix = Caption(site=None, taken_at=None, who="李四", lat=None, lon=None)
    assert no_fix.lines(ZoneInfo("Asia/Shanghai")) == ["未关联站点  时间未知", "拍摄：李四  无定位"]
