"""The app's two catalogs (zh_CN first, en) and lookup with English as the fallback."""

from __future__ import annotations

import json
from typing import Any

from mobile.i18n import en, zh_CN
from rulebook.categories import CATEGORY_NAMES, HAZARD_SOURCE_NAMES, PHOTO_KIND_NAMES, ROLE_NAMES, SEVERITY_NAMES
from rulebook.intake import INTAKE_STATUS_NAMES
from rulebook.joint import PARTICIPANT_UNIT_NAMES
from rulebook.lifecycle import ACTION_NAMES, STATUS_NAMES
from rulebook.messages import MESSAGES, RuleViolation, render

LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"
# The app's languages as the rulebook names them.
RULEBOOK_LANGUAGE = {"zh_CN": "zh", "en": "en"}
# Names the app shows that the rulebook owns: categories, severities, statuses, roles, photo kinds, where a
# report stands in the intake queue, where a hazard came from.
NAME_TABLES = {
    "cat": CATEGORY_NAMES,
    "sev": SEVERITY_NAMES,
    "status": STATUS_NAMES,
    "role": ROLE_NAMES,
    "photo_kind": PHOTO_KIND_NAMES,
    "intake_status": INTAKE_STATUS_NAMES,
    "source": HAZARD_SOURCE_NAMES,
    "unit": PARTICIPANT_UNIT_NAMES,
}


def _rulebook_names(lang: str) -> dict[str, str]:
    short = RULEBOOK_LANGUAGE[lang]
    names = {
        f"{prefix}.{key}": names[short][:1].upper() + names[short][1:]
        for prefix, table in NAME_TABLES.items()
        for key, names in table.items()
    }
    return {**names, "role.": ""}


CATALOGS: dict[str, dict[str, str]] = {
    lang: {**_rulebook_names(lang), **catalog} for lang, catalog in (("zh_CN", zh_CN.MESSAGES), ("en", en.MESSAGES))
}


def translate(lang: str, key: str, **values: object) -> str:
    """The message for key in lang (else English, else the key itself), with {names} filled in."""
    message = CATALOGS.get(lang, {}).get(key) or CATALOGS["en"].get(key) or key
    return message.format(**values) if values else message


def localized(text: dict | str | None, lang: str) -> str:
    """Pick the language out of a server {zh, en} text."""
    if not text:
        return ""
    if isinstance(text, str):
        return text
    short = "zh" if lang.startswith("zh") else "en"
    return text.get(short) or text.get("zh") or text.get("en") or ""


def missing_keys() -> dict[str, set[str]]:
    """Keys one catalog has and another lacks (a test keeps this empty)."""
    every = set().union(*(c.keys() for c in CATALOGS.values()))
    return {lang: every - set(c) for lang, c in CATALOGS.items() if every - set(c)}


def name_in(table: str, key: Any, lang: str) -> str:
    """The name of an action, category, photo kind… in the app's language."""
    tables = {"action": ACTION_NAMES, "category": CATEGORY_NAMES, "kind": PHOTO_KIND_NAMES}
    entry = tables.get(table, {}).get(str(key))
    return entry[RULEBOOK_LANGUAGE.get(lang, "zh")] if entry else str(key)


def explain_code(code: str | None, params: dict[str, Any] | None, lang: str) -> str | None:
    """The sentence for an error code the rulebook knows, in the app's language; None for any other code."""
    if not code or code not in MESSAGES:
        return None
    return render(code, params or {}, RULEBOOK_LANGUAGE.get(lang, "zh"))


def explain_violation(error: RuleViolation, lang: str) -> str:
    return error.sentence(RULEBOOK_LANGUAGE.get(lang, "zh"))


def describe_label(label: str | None, lang: str) -> str:
    """What an outbox row is (a catalog key and values, see mobile.services.records.label) in `lang`."""
    try:
        data = json.loads(label or "")
    except ValueError:
        return label or ""
    if not isinstance(data, dict) or "key" not in data:
        return label or ""
    values = {k: v for k, v in data.items() if k != "key"}
    for field, table in (("kind", "kind"), ("category", "category"), ("action", "action")):
        if field in values:
            values[field] = name_in(table, values[field], lang)
    return translate(lang, str(data["key"]), **values)
