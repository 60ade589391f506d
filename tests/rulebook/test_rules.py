"""The shared rules other than the lifecycle: what applies, what a run owes, hazard ids and text, weeks,
EXIF, and the sentences of every error in both languages."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime

import pytest
from PIL import Image

from rulebook import exif, weeks
from rulebook.categories import CATEGORIES, CATEGORY_NAMES, applies
from rulebook.checklists import unmet_answers
from rulebook.hazards import failed_item_description, hazard_id_for, officer_note
from rulebook.messages import FIELD_PROBLEMS, MESSAGES, language, render

SHANGHAI = weeks.zone("Asia/Shanghai")


def test_seven_categories_each_named_in_chinese_and_english():
    assert CATEGORIES == ("gas", "electricity", "elevator", "falling_objects", "fire", "ebike", "structure")
    assert CATEGORY_NAMES["falling_objects"] == {"zh": "高空坠物", "en": "Falling objects"}


def test_applies_if_flags_must_equal_the_sites_and_a_missing_flag_is_false():
    assert applies({"has_gas": True}, {"has_gas": True})
    assert not applies({"has_gas": True}, {})
    assert applies({"has_elevators": False}, {})
    assert applies(None, {"has_gas": True})


def test_a_run_owes_an_answer_for_every_item_and_a_photo_for_a_failure_that_needs_one():
    items = [("gas.a", True), ("gas.b", False), ("gas.c", True)]
    answers = {"gas.a": ("fail", 0), "gas.b": ("fail", 0), "gas.c": (None, 0)}
    assert unmet_answers(items, answers) == (["gas.c"], ["gas.a"])
    assert unmet_answers(items, {"gas.a": ("fail", 1), "gas.b": ("na", 0), "gas.c": ("pass", 0)}) == ([], [])


def test_a_failed_items_hazard_reads_as_its_failure_and_keeps_the_officers_note_whole():
    inspection = uuid.uuid4()
    assert hazard_id_for(inspection, "gas.hose_aged") == uuid.uuid5(inspection, "gas.hose_aged")
    prompt = "燃气软管未老化、未超过使用年限"
    description = failed_item_description(prompt, "软管老化\n原话：燃气软管未老化、未超过使用年限？不对")
    assert description.startswith("不符合：燃气软管未老化")
    # The note quotes the prompt: it must come back as written (the phone used to drop such lines).
    assert officer_note(description) == "软管老化\n原话：燃气软管未老化、未超过使用年限？不对"
    assert officer_note(failed_item_description(prompt, None)) == ""


def test_weeks_are_counted_in_the_deployments_zone():
    sunday_utc = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # 07:30 Monday in Shenyang
    assert weeks.week_of(sunday_utc, SHANGHAI) == "2026-W49"
    assert weeks.week_of(sunday_utc, UTC) == "2026-W48"
    assert weeks.parse_week("2026-W49") == date(2026, 11, 30)
    start, end = weeks.week_bounds(date(2026, 11, 30), SHANGHAI)
    assert start <= sunday_utc < end
    with pytest.raises(ValueError):
        weeks.parse_week("2026-49")


def _exif(**tags) -> Image.Exif:
    image = Image.new("RGB", (8, 8))
    data = Image.Exif()
    for key, value in tags.items():
        if key == "gps":
            data[exif.GPS_IFD] = value
        elif key == "sub":
            data[exif.EXIF_IFD] = value
    out = io.BytesIO()
    image.save(out, "JPEG", exif=data)
    return Image.open(io.BytesIO(out.getvalue())).getexif()


def test_exif_time_and_place_by_one_set_of_rules():
    tags = _exif(
        sub={exif.DATETIME_ORIGINAL: "2026:11:26 09:30:00", exif.OFFSET_TIME_ORIGINAL: "+08:00"},
        gps={1: "N", 2: (41.0, 48.0, 0.0), 3: "E", 4: (123.0, 24.0, 0.0)},
    )
    assert exif.taken_at(tags, UTC) == datetime(2026, 11, 26, 1, 30, tzinfo=UTC)
    assert exif.position(tags) == (41.8, 123.4)


def test_exif_nonsense_means_unknown_not_an_error():
    no_fix = _exif(gps={1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)})
    assert exif.position(no_fix) == (None, None)  # what a phone without a fix writes
    unset_clock = _exif(sub={exif.DATETIME_ORIGINAL: "1970:01:01 00:00:00"})
    assert exif.taken_at(unset_clock, SHANGHAI) is None
    assert exif.taken_at(Image.Exif(), SHANGHAI) is None


def test_every_error_has_a_sentence_in_both_languages_and_chinese_is_the_default():
    for code, sentences in {**MESSAGES, **FIELD_PROBLEMS}.items():
        assert set(sentences) == {"zh", "en"}, code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in sentences["zh"]), code
    assert language(None) == "zh" and language("fr-FR") == "zh"
    assert language("en-US,en;q=0.9") == "en" and language("en;q=0.4,zh-CN;q=0.8") == "zh"
    assert render("unknown_category", {"category": "water", "allowed": list(CATEGORIES)}, "zh") == (
        "没有“water”这个类别；可用的类别：燃气、用电、电梯、高空坠物、消防、电动自行车充电、房屋结构。"
    )
    assert render("not_found", {"record": "notice"}, "en") == "Notice not found."
    assert render("no_such_code", {}, "zh") == MESSAGES["bad_request"]["zh"]
