"""Imports every table so SQLModel.metadata is complete (Alembic, tests)."""

from server.audit.models import AuditEvent  # noqa: F401
from server.checklists.models import ChecklistVersion  # noqa: F401
from server.hazards.models import Hazard, HazardTransition  # noqa: F401
from server.inspections.models import Inspection  # noqa: F401
from server.intake.models import IntakeIntegration, IntakeReport  # noqa: F401
from server.notices.models import Notice, NoticeCounter, NoticeHazard  # noqa: F401
from server.notify.models import OutboxMessage, Subscription  # noqa: F401
from server.photos.models import Photo, PhotoLink  # noqa: F401
from server.reports.models import StoredReport  # noqa: F401
from server.revisits.models import Revisit  # noqa: F401
from server.sites.models import Assignment, Site  # noqa: F401
from server.sync.changes import ChangeCounter  # noqa: F401
from server.trainings.models import TrainingSession  # noqa: F401
from server.users.models import LoginFailure, Organization, User  # noqa: F401
