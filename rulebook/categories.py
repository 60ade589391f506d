"""The seven inspection categories, severities, roles and site-profile flags, with their names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Order is the order officers see them in: the rounds screen, checklists, reports.
CATEGORY_NAMES: dict[str, dict[str, str]] = {
    "gas": {"zh": "燃气", "en": "Gas"},
    "electricity": {"zh": "用电", "en": "Electricity"},
    "elevator": {"zh": "电梯", "en": "Elevators"},
    "falling_objects": {"zh": "高空坠物", "en": "Falling objects"},
    "fire": {"zh": "消防", "en": "Fire"},
    "ebike": {"zh": "电动自行车充电", "en": "E-bike charging"},
    "structure": {"zh": "房屋结构", "en": "Building structure"},
}
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_NAMES)

# Severity on a failed item; red is the worst. The names are the deployment's usual ones.
SEVERITY_NAMES: dict[str, dict[str, str]] = {
    "red": {"zh": "红色", "en": "Red"},
    "yellow": {"zh": "黄色", "en": "Yellow"},
    "blue": {"zh": "蓝色", "en": "Blue"},
}
SEVERITIES: tuple[str, ...] = tuple(SEVERITY_NAMES)
# The grade a severity stands for, as ledgers and notices name it (红 重大 / 黄 较大 / 蓝 一般).
SEVERITY_GRADES: dict[str, dict[str, str]] = {
    "red": {"zh": "重大隐患", "en": "major hazard"},
    "yellow": {"zh": "较大隐患", "en": "serious hazard"},
    "blue": {"zh": "一般隐患", "en": "minor hazard"},
}
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}

ROLE_NAMES: dict[str, dict[str, str]] = {
    "officer": {"zh": "安全员", "en": "safety officer"},
    "property": {"zh": "物业", "en": "property company"},
    "admin": {"zh": "管理员", "en": "coordinator"},
    "gridworker": {"zh": "网格员", "en": "grid worker"},
}
ROLES: tuple[str, ...] = tuple(ROLE_NAMES)

PHOTO_KIND_NAMES: dict[str, dict[str, str]] = {
    "scene": {"zh": "现场", "en": "scene"},
    "problem": {"zh": "问题", "en": "problem"},
    "rectification": {"zh": "整改", "en": "rectification"},
    "verification": {"zh": "复查", "en": "verification"},
    "training": {"zh": "培训", "en": "training"},
    "signature": {"zh": "现场签字", "en": "on-site signature"},
}
PHOTO_KINDS: tuple[str, ...] = tuple(PHOTO_KIND_NAMES)

# What a site has; checklist items name these in `applies_if`.
PROFILE_FLAG_NAMES: dict[str, dict[str, str]] = {
    "has_gas": {"zh": "通燃气", "en": "has piped gas"},
    "has_elevators": {"zh": "有电梯", "en": "has elevators"},
    "has_high_rise": {"zh": "有高层建筑", "en": "has high-rise buildings"},
    "has_underground_garage": {"zh": "有地下车库", "en": "has an underground garage"},
    "has_ebike_charging": {"zh": "有电动车充电设施", "en": "has e-bike charging"},
    "has_fire_control_room": {"zh": "有消防控制室", "en": "has a fire control room"},
}
PROFILE_FLAGS: tuple[str, ...] = tuple(PROFILE_FLAG_NAMES)


def applies(applies_if: Mapping[str, Any] | None, profile: Mapping[str, Any] | None) -> bool:
    """True when every `applies_if` flag equals the site's (a flag the site does not state counts as False)."""
    profile = profile or {}
    return all(bool(profile.get(flag, False)) == bool(expected) for flag, expected in (applies_if or {}).items())


def name(names: Mapping[str, Mapping[str, str]], key: str | None, lang: str) -> str:
    """The name of a category, severity, role… in `lang` ('zh' or 'en'); the key itself when unknown."""
    entry = names.get(key or "")
    return entry.get(lang) or entry["zh"] if entry else (key or "")


# Where a hazard came from: a checklist, an officer's own report, a grid worker's or a resident's report
# (through the intake queue), a joint inspection, or an external hotline platform.
HAZARD_SOURCE_NAMES: dict[str, dict[str, str]] = {
    "checklist": {"zh": "检查表", "en": "checklist"},
    "officer": {"zh": "安全员上报", "en": "officer"},
    "gridworker": {"zh": "网格员上报", "en": "grid worker"},
    "resident": {"zh": "居民扫码上报", "en": "resident"},
    "joint": {"zh": "联查联检", "en": "joint inspection"},
    "external": {"zh": "热线工单", "en": "hotline"},
}
HAZARD_SOURCES: tuple[str, ...] = tuple(HAZARD_SOURCE_NAMES)
