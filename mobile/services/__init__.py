"""Phone app core without Kivy: local store, outbox, sync engine and scheduler, checklist runs, photos.

The UI uses one object, `Phone(data_dir, server_url)` — see mobile/services/phone/ for its methods.
"""

from mobile.services.api import ApiError, SessionExpired
from mobile.services.checklist_run import ChecklistRun, IncompleteRun, Problem
from mobile.services.phone import PendingWork, Phone, iso_week
from mobile.services.sync import SyncProgress
from rulebook.messages import RuleViolation

__all__ = [
    "ApiError",
    "SessionExpired",
    "PendingWork",
    "Phone",
    "iso_week",
    "ChecklistRun",
    "IncompleteRun",
    "Problem",
    "RuleViolation",
    "SyncProgress",
]
