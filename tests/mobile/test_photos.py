"""Photos are made small and clean on the phone; when and where they were taken travels as form fields."""

from __future__ import annotations

from PIL import Image

from mobile.services.photos import prepare_photo


def camera_file(path, size=(4000, 3000), orientation=None, taken=None, offset=None, gps=None, quality=95):
    """A camera-like JPEG: textured pixels and the EXIF a phone camera writes."""
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    image = Image.blend(base, Image.effect_noise(size, 30).convert("RGB"), 0.5)
    # A red mark in the top-left corner, to see where it ends up after rotation.
    image.paste((255, 0, 0), (0, 0, size[0] // 8, size[1] // 8))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "PhoneMaker", "Model X serial 123456"  # what must not travel
    if orientation:
        exif[0x0112] = orientation
    if taken:
        sub = exif.get_ifd(0x8769)
        sub[0x9003] = taken
        if offset:
            sub[0x9011] = offset
    if gps:
        block = exif.get_ifd(0x8825)
        (block[1], block[2]), (block[3], block[4]) = gps
    image.save(path, "JPEG", quality=quality, exif=exif)
    return path


def test_a_camera_file_of_megabytes_travels_as_a_few_hundred_kilobytes(tmp_path):
    source = camera_file(
        tmp_path / "camera.jpg",
        taken="2026:11:20 09:30:05",
        offset="+08:00",
        gps=(("N", (41.0, 44.0, 24.0)), ("E", (123.0, 27.0, 0.0))),
    )
    original = source.stat().st_size
    photo = prepare_photo(source, tmp_path / "small.jpg")
    assert original > 3_000_000
    assert 100_000 < photo.size < 600_000 and original / photo.size > 6
    assert (photo.width, photo.height) == (1600, 1200)
    assert photo.taken_at == "2026-11-20T09:30:05+08:00"
    assert (photo.lat, photo.lon) == (41.74, 123.45)
    data = photo.path.read_bytes()
    assert b"Exif" not in data and b"PhoneMaker" not in data and b"serial" not in data
    with Image.open(photo.path) as small:
        assert not small.getexif() and small.format == "JPEG"
        assert "icc_profile" not in small.info


def test_exif_orientation_is_applied_to_the_pixels(tmp_path):
    # Orientation 6: the sensor's image must be turned 90° clockwise to be upright.
    source = camera_file(tmp_path / "portrait.jpg", size=(800, 600), orientation=6)
    photo = prepare_photo(source, tmp_path / "upright.jpg")
    assert (photo.width, photo.height) == (600, 800)
    with Image.open(photo.path) as upright:
        red, green, _ = upright.convert("RGB").getpixel((upright.width - 10, 10))
        assert red > 200 and green < 80  # the corner mark turned to the top right


def test_south_west_gps_and_local_time_without_offset(tmp_path):
    source = camera_file(
        tmp_path / "south.jpg",
        size=(320, 240),
        taken="2026:03:01 18:00:00",
        gps=(("S", (33.0, 52.0, 0.0)), ("W", (151.0, 12.0, 36.0))),
    )
    photo = prepare_photo(source, tmp_path / "out.jpg")
    assert photo.lat == round(-(33 + 52 / 60), 7) and photo.lon == round(-(151 + 12 / 60 + 36 / 3600), 7)
    assert photo.taken_at.startswith("2026-03-01T18:00:00")  # the phone's own zone is added
    assert (photo.width, photo.height) == (320, 240)  # small photos are not blown up


def test_a_photo_without_exif_has_no_capture_facts(tmp_path):
    source = tmp_path / "plain.png"
    Image.new("RGBA", (50, 40), (0, 128, 0, 255)).save(source)
    photo = prepare_photo(source, tmp_path / "out.jpg")
    assert (photo.taken_at, photo.lat, photo.lon) == (None, None, None)
    with Image.open(photo.path) as out:
        assert out.mode == "RGB" and out.format == "JPEG"
