"""Checklist templates: the current files, and every version the server has seen (kept in the database)."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from server.checklists.models import ChecklistSummary, ChecklistVersion
from server.checklists.templates import ChecklistFileError, ChecklistTemplate, load_templates
from server.db import write_unit
from server.errors import not_found


class ChecklistRegistry:
    """Current templates by category, plus a memo of older versions read back from the database."""

    def __init__(self, current: dict[str, ChecklistTemplate], directory: Path | None = None):
        self.current = current
        self.directory = directory
        self._versions: dict[tuple[str, int], ChecklistTemplate] = {
            (t.category, t.version): t for t in current.values()
        }
        self._lock = threading.Lock()

    @classmethod
    def from_directory(cls, directory: Path) -> ChecklistRegistry:
        """The templates in ``directory``; a missing or empty folder raises ChecklistFileError naming it."""
        return cls(load_templates(directory), directory=Path(directory))

    def version(self, *, session: Session, category: str, version: int) -> ChecklistTemplate | None:
        key = (category, version)
        with self._lock:
            if key in self._versions:
                return self._versions[key]
        row = session.get(ChecklistVersion, key)
        if row is None:
            return None
        template = ChecklistTemplate.model_validate(row.content)
        with self._lock:
            self._versions[key] = template
        return template


def store_current_versions(*, session: Session, registry: ChecklistRegistry) -> None:
    """Record each current template version; a file changed without a version bump is refused."""
    for template in registry.current.values():
        stored = session.get(ChecklistVersion, (template.category, template.version))
        if stored is None:
            try:
                with write_unit(session):
                    session.add(
                        ChecklistVersion(
                            category=template.category,
                            version=template.version,
                            content=template.model_dump(mode="json"),
                            content_hash=template.content_hash(),
                        )
                    )
            except IntegrityError:  # another worker stored it first
                stored = session.get(ChecklistVersion, (template.category, template.version))
        if stored is not None and stored.content_hash != template.content_hash():
            where = (
                registry.directory / f"{template.category}.yaml" if registry.directory else f"{template.category}.yaml"
            )
            raise ChecklistFileError(
                f"{where} has changed but still says version {template.version}; "
                f"raise its version to {template.version + 1} so inspections made against version "
                f"{template.version} stay readable."
            )


def summaries(registry: ChecklistRegistry) -> list[ChecklistSummary]:
    return [
        ChecklistSummary(category=t.category, version=t.version, title=t.title.model_dump(), item_count=len(t.items))
        for t in sorted(registry.current.values(), key=lambda t: t.category)
    ]


def get_template(
    *, session: Session, registry: ChecklistRegistry, category: str, version: int | None = None
) -> ChecklistTemplate:
    if version is None:
        template = registry.current.get(category)
    else:
        template = registry.version(session=session, category=category, version=version)
    if template is None:
        raise not_found("checklist")
    return template
