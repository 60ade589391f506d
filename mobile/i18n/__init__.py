"""The app's two catalogs (zh_CN first, en) and lookup with English as the fallback."""

from __future__ import annotations

from mobile.i18n import en, zh_CN

CATALOGS: dict[str, dict[str, str]] = {"zh_CN": zh_CN.MESSAGES, "en": en.MESSAGES}
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"


def translate(lang: str, key: str, **values: object) -> str:
    """The message for key in lang (else English, else the key itself), with {names} filled in."""
    message = CATALOGS.get(lang, {}).get(key) or en.MESSAGES.get(key) or key
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
