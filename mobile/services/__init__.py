"""Phone app core without Kivy: local store, outbox, sync engine, checklist runs, photos.

The UI uses one object, `Services(data_dir, server_url)` — see app_services.py for its methods.
"""

from mobile.services.api import ApiError, SessionExpired
from mobile.services.app_services import PendingWork, Services, iso_week
from mobile.services.checklist_run import ChecklistRun, IncompleteRun, Problem
from mobile.services.hazard_rules import TransitionRefused
from mobile.services.sync import SyncProgress

__all__ = ["ApiError", "SessionExpired", "PendingWork", "Services", "iso_week", "ChecklistRun", "IncompleteRun",
           "Problem", "TransitionRefused", "SyncProgress"]
