"""The checklist YAML files and their loader (no database)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml

from server.checklists.templates import (
    CATEGORIES,
    PROFILE_FLAGS,
    ChecklistFileError,
    ChecklistItem,
    ChecklistTemplate,
    Severity,
    default_checklists_dir,
    load_template_file,
    load_templates,
)

ITEM_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
LOCALIZED_FIELDS = ("prompt", "guidance", "remedy", "basis")


@pytest.fixture(scope="module")
def templates() -> dict[str, ChecklistTemplate]:
    return load_templates(default_checklists_dir())


# --------------------------------------------------------------------------- the real files


def test_default_dir_is_inside_the_package():
    directory = default_checklists_dir()
    assert directory.name == "data"
    assert (directory.parent / "templates.py").is_file()
    assert sorted(p.stem for p in directory.glob("*.yaml")) == sorted(CATEGORIES)


def test_a_missing_folder_is_an_error_naming_it(tmp_path):
    with pytest.raises(ChecklistFileError) as caught:
        load_templates(tmp_path / "nowhere")
    assert str(caught.value).startswith(f"The checklist folder {tmp_path / 'nowhere'} does not exist.")
    assert "SAFEROUND_CHECKLISTS_DIR" in str(caught.value)


def test_a_folder_without_yaml_files_is_an_error_naming_it(tmp_path):
    (tmp_path / "notes.txt").write_text("not a checklist")
    with pytest.raises(ChecklistFileError) as caught:
        load_templates(tmp_path)
    assert str(caught.value).startswith(f"The checklist folder {tmp_path} holds no .yaml files.")


def test_all_seven_categories_load(templates):
    assert set(templates) == set(CATEGORIES)
    assert len(templates) == 7
    for category, template in templates.items():
        assert template.category == category
        assert template.version >= 1


@pytest.mark.parametrize("category", CATEGORIES)
def test_each_file_is_complete(templates, category):
    template = templates[category]
    assert 8 <= len(template.items) <= 12
    ids = [item.id for item in template.items]
    assert len(ids) == len(set(ids)), "duplicate item ids"
    assert template.title.zh and template.title.en
    for item in template.items:
        assert ITEM_ID.match(item.id) and item.id.startswith(f"{category}.")
        for field in LOCALIZED_FIELDS:
            text = getattr(item, field)
            assert text.zh.strip() and text.en.strip(), f"{item.id}.{field}"
        assert isinstance(item.severity_on_fail, Severity)
        assert set(item.applies_if) <= set(PROFILE_FLAGS)
        assert template.item(item.id) is item


@pytest.mark.parametrize("category", CATEGORIES)
def test_enough_unconditional_items(templates, category):
    unconditional = [item for item in templates[category].items if not item.applies_if]
    if category in ("gas", "elevator"):
        return  # may be fully conditional
    assert len(unconditional) >= 4


def test_item_ids_unique_across_files(templates):
    ids = [item.id for template in templates.values() for item in template.items]
    assert len(ids) == len(set(ids))


def test_severities_are_mixed(templates):
    severities = {item.severity_on_fail for template in templates.values() for item in template.items}
    assert severities == {Severity.red, Severity.yellow, Severity.blue}


def test_item_lookup_unknown(templates):
    assert templates["gas"].item("gas.no_such_item") is None
    assert templates["gas"].item("gas.hose_aged") is not None


def test_content_hash_is_stable_and_sensitive(templates):
    gas = templates["gas"]
    again = load_template_file(default_checklists_dir() / "gas.yaml")
    assert gas.content_hash() == again.content_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", gas.content_hash())
    # round-trips through its own JSON dump (as stored by the server)
    assert ChecklistTemplate.model_validate(gas.model_dump(mode="json")).content_hash() == gas.content_hash()
    changed = gas.model_copy(update={"version": gas.version + 1})
    assert changed.content_hash() != gas.content_hash()
    hashes = {template.content_hash() for template in templates.values()}
    assert len(hashes) == len(templates)


# --------------------------------------------------------------------------- applies_to


def test_applies_to_profile(templates):
    gas = templates["gas"]
    elevator = templates["elevator"]
    fire = templates["fire"]
    no_gas = {"has_gas": False, "has_elevators": False, "building_count": 12, "household_count": 800}
    assert gas.items_for(no_gas) == []
    assert elevator.items_for(no_gas) == []
    assert len(gas.items_for({"has_gas": True})) == len(gas.items)

    # missing flags count as False
    assert elevator.items_for({}) == []
    unconditional = [item for item in fire.items if not item.applies_if]
    assert fire.items_for({}) == unconditional

    everything = {flag: True for flag in PROFILE_FLAGS}
    for template in templates.values():
        assert template.items_for(everything) == template.items

    lift_low_rise = {"has_elevators": True, "has_high_rise": False}
    ids = {item.id for item in elevator.items_for(lift_low_rise)}
    assert "elevator.inspection_valid" in ids
    assert "elevator.fire_elevator" not in ids
    assert "elevator.fire_elevator" in {
        item.id for item in elevator.items_for({"has_elevators": True, "has_high_rise": True})
    }


def test_applies_to_item_semantics():
    text = {"zh": "文", "en": "text"}
    base = dict(
        prompt=text, guidance=text, remedy=text, basis=text, severity_on_fail="yellow", photo_required_on_fail=True
    )
    always = ChecklistItem(id="fire.a", **base)
    only_without_garage = ChecklistItem(id="fire.b", applies_if={"has_underground_garage": False}, **base)
    both = ChecklistItem(id="fire.c", applies_if={"has_gas": True, "has_high_rise": True}, **base)
    assert always.applies_to({}) and always.applies_to({"has_gas": True})
    assert only_without_garage.applies_to({}) is True
    assert only_without_garage.applies_to({"has_underground_garage": True}) is False
    assert both.applies_to({"has_gas": True}) is False
    assert both.applies_to({"has_gas": 1, "has_high_rise": "yes"}) is True  # truthiness
    assert both.applies_to({"has_gas": True, "has_high_rise": True, "other": False}) is True


# --------------------------------------------------------------------------- broken files

GOOD_ITEM = """\
  - id: gas.hose_aged
    prompt: {zh: "软管完好", en: "Hose sound"}
    guidance: {zh: "查看软管", en: "Look at the hose"}
    severity_on_fail: red
    photo_required_on_fail: true
    remedy: {zh: "更换软管", en: "Replace the hose"}
    basis: {zh: "《城镇燃气管理条例》第二十七条", en: "Regulations on Urban Gas Administration, art. 27"}
    applies_if: {has_gas: true}
"""

SECOND_ITEM = """\
  - id: gas.alarm_installed
    prompt: {zh: "装有报警器", en: "Alarm fitted"}
    guidance: {zh: "按测试键", en: "Press test"}
    severity_on_fail: yellow
    photo_required_on_fail: false
    remedy: {zh: "加装报警器", en: "Fit an alarm"}
    basis: {zh: "GB 55009-2021", en: "GB 55009-2021"}
"""

HEADER = """\
category: gas
version: 1
title: {zh: 燃气安全, en: Gas safety}
items:
"""


def write(tmp_path: Path, text: str, name: str = "gas.yaml") -> Path:
    directory = tmp_path / "checklists"
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_minimal_good_file_loads(tmp_path):
    template = load_template_file(write(tmp_path, HEADER + GOOD_ITEM + SECOND_ITEM))
    assert [item.id for item in template.items] == ["gas.hose_aged", "gas.alarm_installed"]
    assert template.items[1].applies_if == {}


BROKEN = {
    "bad_severity": (
        HEADER + SECOND_ITEM + GOOD_ITEM.replace("severity_on_fail: red", "severity_on_fail: orange"),
        "gas.hose_aged",
        ["severity_on_fail", "red, yellow or blue", "orange"],
    ),
    "unknown_item_field": (
        HEADER + GOOD_ITEM.replace("    remedy:", "    owner: property\n    remedy:"),
        "gas.hose_aged",
        ["unknown field", "owner"],
    ),
    "unknown_nested_field": (
        HEADER + GOOD_ITEM.replace('en: "Hose sound"}', 'en: "Hose sound", fr: "Tuyau"}'),
        "gas.hose_aged",
        ["unknown field", "fr", "prompt"],
    ),
    "unknown_top_level_field": (
        "owner: me\n" + HEADER + GOOD_ITEM,
        None,
        ["unknown field", "owner"],
    ),
    "missing_field": (
        HEADER + GOOD_ITEM.replace("    photo_required_on_fail: true\n", ""),
        "gas.hose_aged",
        ["photo_required_on_fail", "missing"],
    ),
    "duplicate_id": (
        HEADER + GOOD_ITEM + SECOND_ITEM.replace("gas.alarm_installed", "gas.hose_aged"),
        "gas.hose_aged",
        ["duplicate"],
    ),
    "wrong_category_prefix": (
        HEADER + GOOD_ITEM + SECOND_ITEM.replace("gas.alarm_installed", "fire.alarm_installed"),
        "fire.alarm_installed",
        ["must start with 'gas.'"],
    ),
    "bad_applies_if_key": (
        HEADER + GOOD_ITEM.replace("{has_gas: true}", "{has_pool: true}"),
        "gas.hose_aged",
        ["applies_if", "has_pool", "site-profile flag"],
    ),
    "applies_if_not_bool": (
        HEADER + GOOD_ITEM.replace("{has_gas: true}", "{has_gas: sometimes}"),
        "gas.hose_aged",
        ["applies_if.has_gas", "true or false"],
    ),
    "empty_text": (
        HEADER + GOOD_ITEM.replace('en: "Look at the hose"', 'en: "   "'),
        "gas.hose_aged",
        ["guidance.en", "empty"],
    ),
    "empty_items": (
        HEADER.replace("items:\n", "items: []\n"),
        None,
        ["items", "at least one"],
    ),
    "bad_version": (
        HEADER.replace("version: 1", "version: 0") + GOOD_ITEM,
        None,
        ["version", "at least 1"],
    ),
    "unknown_category": (
        HEADER.replace("category: gas", "category: water") + GOOD_ITEM,
        None,
        ["category", "water"],
    ),
    "malformed_id": (
        HEADER + GOOD_ITEM.replace("id: gas.hose_aged", "id: gas.Hose-Aged"),
        "gas.Hose-Aged",
        ["id", "snake_case"],
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_file_is_rejected(tmp_path, case):
    text, item_id, fragments = BROKEN[case]
    path = write(tmp_path, text)
    with pytest.raises(ChecklistFileError) as caught:
        load_template_file(path)
    message = str(caught.value)
    assert "gas.yaml" in message
    if item_id is not None:
        assert f"item {item_id}" in message
        assert caught.value.item_id == item_id
    for fragment in fragments:
        assert fragment in message, message


def test_bad_severity_message_reads_plainly(tmp_path):
    path = write(tmp_path, HEADER + GOOD_ITEM.replace("severity_on_fail: red", "severity_on_fail: orange"))
    with pytest.raises(ChecklistFileError) as caught:
        load_template_file(path)
    assert str(caught.value) == (
        "checklists/gas.yaml, item gas.hose_aged: severity_on_fail must be red, yellow or blue (got 'orange')"
    )
    assert caught.value.field == "severity_on_fail"


def test_item_without_id_is_named_by_position(tmp_path):
    path = write(
        tmp_path, HEADER + GOOD_ITEM + SECOND_ITEM.replace("  - id: gas.alarm_installed\n    prompt:", "  - prompt:")
    )
    with pytest.raises(ChecklistFileError) as caught:
        load_template_file(path)
    assert "item #2" in str(caught.value) and "id is missing" in str(caught.value)


def test_yaml_syntax_error_gives_line(tmp_path):
    text = HEADER + GOOD_ITEM + '    remedy: {zh: "unterminated, en: x\n'
    path = write(tmp_path, text)
    with pytest.raises(ChecklistFileError) as caught:
        load_template_file(path)
    message = str(caught.value)
    assert "gas.yaml" in message and "invalid YAML" in message
    assert re.search(r"line \d+", message)
    assert caught.value.line is not None


def test_yaml_indentation_error_points_at_line(tmp_path):
    lines = (HEADER + GOOD_ITEM).splitlines()
    lines[6] = "  " + lines[6]  # mis-indent the 'guidance:' line (line 7)
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(ChecklistFileError) as caught:
        load_template_file(path)
    assert "gas.yaml, line " in str(caught.value)


def test_duplicate_yaml_key_is_rejected(tmp_path):
    text = HEADER + GOOD_ITEM.replace(
        "    severity_on_fail: red\n", "    severity_on_fail: red\n    severity_on_fail: blue\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ChecklistFileError) as caught:
        load_template_file(path)
    assert "duplicate key 'severity_on_fail'" in str(caught.value)
    assert "line 9" in str(caught.value)


def test_category_must_match_file_name(tmp_path):
    path = write(tmp_path, HEADER + GOOD_ITEM, name="fire.yaml")
    with pytest.raises(ChecklistFileError) as caught:
        load_template_file(path)
    message = str(caught.value)
    assert "fire.yaml" in message and "'gas'" in message and "must match" in message


@pytest.mark.parametrize("text, fragment", [("", "empty"), ("- a\n- b\n", "mapping"), ("just text\n", "mapping")])
def test_not_a_mapping(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ChecklistFileError) as caught:
        load_template_file(path)
    assert "gas.yaml" in str(caught.value) and fragment in str(caught.value)


def test_unreadable_file(tmp_path):
    with pytest.raises(ChecklistFileError) as caught:
        load_template_file(tmp_path / "checklists" / "gas.yaml")
    assert "gas.yaml" in str(caught.value) and "cannot read" in str(caught.value)


def test_not_utf8(tmp_path):
    directory = tmp_path / "checklists"
    directory.mkdir()
    path = directory / "gas.yaml"
    path.write_bytes((HEADER + GOOD_ITEM).encode("gbk"))
    with pytest.raises(ChecklistFileError) as caught:
        load_template_file(path)
    assert "UTF-8" in str(caught.value)


def test_error_is_a_value_error():
    assert issubclass(ChecklistFileError, ValueError)


def test_load_templates_stops_at_first_bad_file(tmp_path):
    write(tmp_path, HEADER + GOOD_ITEM)
    write(
        tmp_path,
        HEADER.replace("category: gas", "category: fire") + GOOD_ITEM.replace("gas.", "fire."),
        name="fire.yaml",
    )
    loaded = load_templates(tmp_path / "checklists")
    assert sorted(loaded) == ["fire", "gas"]

    write(tmp_path, HEADER.replace("category: gas", "category: ebike") + GOOD_ITEM, name="ebike.yaml")
    with pytest.raises(ChecklistFileError) as caught:
        load_templates(tmp_path / "checklists")
    assert "ebike.yaml" in str(caught.value) and "item gas.hose_aged" in str(caught.value)


def test_real_files_are_plain_yaml():
    # every file parses with the standard safe loader too (no custom tags)
    for path in sorted(default_checklists_dir().glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["category"] == path.stem


def test_error_with_plain_message():
    error = ChecklistFileError("checklists/gas.yaml has changed but still says version 1")
    assert str(error) == "checklists/gas.yaml has changed but still says version 1"
    assert error.path is None and error.item_id is None


def test_applies_to_accepts_a_model_profile(templates):
    from pydantic import BaseModel

    class Profile(BaseModel):
        has_gas: bool = False
        has_elevators: bool = False

    assert templates["elevator"].items_for(Profile()) == []
    assert templates["gas"].items_for(Profile(has_gas=True)) == templates["gas"].items
