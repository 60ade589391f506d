"""Checklist templates: the YAML files and their validated models.

One YAML file per category (``gas.yaml`` …), shipped inside the package in
``server/checklists/data/`` (``SAFEROUND_CHECKLISTS_DIR`` points elsewhere). Each file is validated
strictly: unknown or missing fields, a category that does not match the file name,
item ids that do not start with ``"<category>."``, duplicate item ids and
``applies_if`` keys that are not site-profile flags are all rejected with a
:class:`ChecklistFileError` whose message names the file, the item and the field
in plain English, e.g.::

    checklists/gas.yaml, item gas.hose_aged: severity_on_fail must be red, yellow or blue (got 'orange')

This module deliberately has no FastAPI / database imports so that it can be used
by the server, the tests and tooling alike.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from rulebook.categories import CATEGORIES, PROFILE_FLAGS, SEVERITIES, applies

__all__ = [
    "CATEGORIES",
    "PROFILE_FLAGS",
    "Severity",
    "LocalizedText",
    "ChecklistItem",
    "ChecklistTemplate",
    "ChecklistFileError",
    "load_template_file",
    "load_templates",
    "default_checklists_dir",
]

# Str enum of the severities, for pydantic models and query parameters; the list lives in the rulebook.
Severity = Enum("Severity", {s: s for s in SEVERITIES}, type=str)  # type: ignore[misc]

_ITEM_ID_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


class _ItemProblem(ValueError):
    """A validation problem that belongs to one item (raised inside a model validator).

    Carries the item id and the field so the loader can phrase the message the same
    way as for field-level errors.
    """

    def __init__(self, item_id: str, field: str, message: str) -> None:
        super().__init__(f"item {item_id}: {field} {message}")
        self.item_id = item_id
        self.field = field
        self.message = message


class LocalizedText(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class ChecklistItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    prompt: LocalizedText
    guidance: LocalizedText
    severity_on_fail: Severity
    photo_required_on_fail: StrictBool
    remedy: LocalizedText
    basis: LocalizedText
    applies_if: dict[str, StrictBool] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ITEM_ID_RE.match(value):
            raise ValueError(f"must look like '<category>.<snake_case_name>' (got {value!r})")
        return value

    @field_validator("applies_if")
    @classmethod
    def _check_applies_if(cls, value: dict[str, bool]) -> dict[str, bool]:
        unknown = [key for key in value if key not in PROFILE_FLAGS]
        if unknown:
            raise ValueError(f"key {unknown[0]!r} is not a site-profile flag (allowed: {', '.join(PROFILE_FLAGS)})")
        return value

    def applies_to(self, profile: Mapping[str, Any]) -> bool:
        """True when every ``applies_if`` flag equals the site's (missing flags count as False)."""
        if not isinstance(profile, Mapping) and isinstance(profile, BaseModel):
            profile = profile.model_dump()
        return applies(self.applies_if, profile)


class ChecklistTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str
    version: StrictInt = Field(ge=1)
    title: LocalizedText
    items: list[ChecklistItem] = Field(min_length=1)

    @field_validator("category")
    @classmethod
    def _check_category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(f"must be one of {', '.join(CATEGORIES)} (got {value!r})")
        return value

    @model_validator(mode="after")
    def _check_items(self) -> ChecklistTemplate:
        prefix = f"{self.category}."
        seen: set[str] = set()
        for item in self.items:
            if not item.id.startswith(prefix):
                raise _ItemProblem(item.id, "id", f"must start with {prefix!r} (the file's category)")
            if item.id in seen:
                raise _ItemProblem(item.id, "id", "is used by more than one item (duplicate id)")
            seen.add(item.id)
        return self

    def item(self, item_id: str) -> ChecklistItem | None:
        for candidate in self.items:
            if candidate.id == item_id:
                return candidate
        return None

    def items_for(self, profile: Mapping[str, Any]) -> list[ChecklistItem]:
        """The items that apply to a site with this profile, in file order."""
        return [item for item in self.items if item.applies_to(profile)]

    def content_hash(self) -> str:
        """sha256 hex of the canonical JSON of ``model_dump(mode="json")``.

        Canonical = ``json.dumps(..., sort_keys=True, ensure_ascii=False,
        separators=(",", ":"))`` encoded as UTF-8.
        """
        canonical = json.dumps(
            self.model_dump(mode="json"),
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ChecklistFileError(ValueError):
    """A checklist file that cannot be loaded. ``str(err)`` is a plain-English message.

    Two forms::

        ChecklistFileError(path, "severity_on_fail must be ...", item_id="gas.x", field="severity_on_fail")
            -> "checklists/gas.yaml, item gas.x: severity_on_fail must be ..."
        ChecklistFileError("checklists/gas.yaml has changed but still says version 1; ...")
            -> the message as given (it must name the file itself)
    """

    def __init__(
        self,
        path_or_message: Path | str,
        message: str | None = None,
        *,
        item_id: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.item_id = item_id
        self.field = field
        self.line = line
        if message is None:
            self.path: Path | None = None
            self.problem = str(path_or_message)
            super().__init__(self.problem)
            return
        self.path = Path(path_or_message)
        self.problem = message
        where = _display_name(self.path)
        if line is not None:
            where += f", line {line}"
        if item_id is not None:
            where += f", item {item_id}"
        super().__init__(f"{where}: {message}")


def default_checklists_dir() -> Path:
    """The checklists shipped inside the package: ``server/checklists/data/<category>.yaml``."""
    return Path(__file__).resolve().parent / "data"


def load_template_file(path: Path) -> ChecklistTemplate:
    """Load and validate one checklist YAML file; raise :class:`ChecklistFileError` if bad."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ChecklistFileError(path, f"cannot read the file ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ChecklistFileError(path, f"is not valid UTF-8 text ({exc.reason} at byte {exc.start})") from exc

    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ChecklistFileError(path, f"invalid YAML: {problem}", line=line) from exc
    except yaml.YAMLError as exc:
        raise ChecklistFileError(path, f"invalid YAML: {exc}") from exc

    if data is None:
        raise ChecklistFileError(path, "the file is empty")
    if not isinstance(data, dict):
        raise ChecklistFileError(
            path, f"the file must be a mapping with category, version, title and items (got {_type_name(data)})"
        )

    expected_category = path.stem
    try:
        template = ChecklistTemplate.model_validate(data)
    except ValidationError as exc:
        raise _translate(path, data, exc) from exc

    if template.category != expected_category:
        raise ChecklistFileError(
            path,
            f"category is {template.category!r} but the file is named {path.name!r}; they must match",
            field="category",
        )
    return template


def load_templates(directory: Path) -> dict[str, ChecklistTemplate]:
    """Load every ``*.yaml`` in ``directory`` (sorted by name), keyed by category.

    A folder that is missing or holds no ``.yaml`` file is an error, not an empty registry:
    a server without checklists cannot take a single inspection.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ChecklistFileError(
            f"The checklist folder {directory.absolute()} does not exist. Point SAFEROUND_CHECKLISTS_DIR "
            f"at a folder of <category>.yaml files, or unset it to use the checklists shipped with SafeRound."
        )
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise ChecklistFileError(
            f"The checklist folder {directory.absolute()} holds no .yaml files. Put the <category>.yaml "
            f"checklists there, or unset SAFEROUND_CHECKLISTS_DIR to use the ones shipped with SafeRound."
        )
    templates: dict[str, ChecklistTemplate] = {}
    for path in paths:
        template = load_template_file(path)
        templates[template.category] = template
    return templates


# --------------------------------------------------------------------------- helpers


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys in a mapping instead of silently keeping the last."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Node] = {}
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:  # unhashable key; let the base constructor report it
            duplicate = False
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"duplicate key {key!r}",
                key_node.start_mark,
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _display_name(path: Path) -> str:
    """``checklists/gas.yaml`` style: the file name with its folder."""
    if path.parent.name:
        return f"{path.parent.name}/{path.name}"
    return path.name


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _translate(path: Path, data: Mapping[str, Any], exc: ValidationError) -> ChecklistFileError:
    """Turn the first pydantic error into a plain-English :class:`ChecklistFileError`."""
    error = exc.errors(include_url=False)[0]
    loc = tuple(error.get("loc", ()))
    ctx = error.get("ctx") or {}

    original = ctx.get("error")
    if isinstance(original, _ItemProblem):
        return ChecklistFileError(
            path, f"{original.field} {original.message}", item_id=original.item_id, field=original.field
        )

    item_id: str | None = None
    rest = loc
    if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
        index = loc[1]
        raw_items = data.get("items")
        raw = raw_items[index] if isinstance(raw_items, list) and index < len(raw_items) else None
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        item_id = raw_id if isinstance(raw_id, str) and raw_id.strip() else f"#{index + 1}"
        rest = loc[2:]

    field = ".".join(str(part) for part in rest)
    message = _describe(error, rest, field)
    return ChecklistFileError(path, message, item_id=item_id, field=field or None)


def _describe(error: Mapping[str, Any], loc: tuple, field: str) -> str:
    kind = error.get("type", "")
    value = error.get("input")
    ctx = error.get("ctx") or {}
    name = field or "the file"

    if kind == "missing":
        return f"{name} is missing (required)"
    if kind == "extra_forbidden":
        parent = ".".join(str(part) for part in loc[:-1])
        unknown = loc[-1] if loc else field
        where = f" in {parent}" if parent else ""
        return f"unknown field {str(unknown)!r}{where}"
    if kind == "enum":
        if loc and loc[-1] == "severity_on_fail":
            return f"{name} must be red, yellow or blue (got {_short(value)})"
        return f"{name} must be one of {ctx.get('expected', '')} (got {_short(value)})"
    if kind in ("bool_type", "bool_parsing"):
        return f"{name} must be true or false (got {_short(value)})"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{name} must be a whole number (got {_short(value)})"
    if kind == "greater_than_equal":
        return f"{name} must be at least {ctx.get('ge')} (got {_short(value)})"
    if kind == "string_type":
        return f"{name} must be text (got {_type_name(value)})"
    if kind == "string_too_short":
        return f"{name} must not be empty"
    if kind == "too_short":
        if loc == ("items",):
            return "items must list at least one item (got none)"
        return f"{name} must not be empty"
    if kind == "list_type":
        return f"{name} must be a list (got {_type_name(value)})"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if len(loc) >= 1 and loc[-1] in ("prompt", "guidance", "remedy", "basis", "title"):
            return f"{name} must be a mapping with zh and en (got {_type_name(value)})"
        return f"{name} must be a mapping (got {_type_name(value)})"
    if kind == "value_error":
        original = ctx.get("error")
        text = str(original) if original is not None else error.get("msg", "")
        return f"{name} {text}"
    msg = error.get("msg", "is invalid")
    return f"{name}: {msg} (got {_short(value)})"
