"""An officer's week without signal, as the phone records it: shared by tests/mobile/test_offline_week.py and
bench/sync.py so the test and the benchmark run the same week."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from mobile.services import Phone

# Each day a round at one site: two categories (a week covers the seven at two sites, as a weekly plan does).
ROUNDS = [
    (0, ("gas", "fire")),
    (1, ("electricity", "elevator")),
    (0, ("ebike", "structure")),
    (1, ("falling_objects", "gas")),
    (0, ("electricity", "elevator")),
    (1, ("fire", "ebike")),
    (0, ("structure", "falling_objects")),
]
TRAINING_DAY, NOTICE_DAY, FIX_DAY = 2, 4, 5


@dataclass
class Week:
    inspections: list[str] = field(default_factory=list)
    hazards: list[str] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)
    trainings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    transitions: list[str] = field(default_factory=list)
    hazards_by_site: dict[int, list[str]] = field(default_factory=dict)
    noticed: list[str] = field(default_factory=list)  # the hazards on the notice

    @property
    def records(self) -> int:
        return len(self.inspections) + len(self.trainings) + len(self.notices) + len(self.transitions)


def work_a_week_offline(
    phone_of_day: Callable[[int], Phone],
    site_ids: list[str],
    organization_id: str,
    photo: Callable[[Phone, str], str],
    *,
    days_ago: int = 7,
) -> Week:
    """Seven days: a round a day (each run: one failed item with a problem photo, a scene photo on a passed
    item), a training session with two photos, a notice for the first site's hazards, a fix on the spot with
    a verification photo. phone_of_day(day) gives the phone (a test may restart the app mid-week);
    photo(phone, kind) adds a camera photo and returns its id."""
    week = Week()
    start = datetime.now(UTC).replace(hour=1, minute=30, second=0, microsecond=0) - timedelta(days=days_ago)
    for day, (site_index, categories) in enumerate(ROUNDS):
        phone = phone_of_day(day)
        morning = start + timedelta(days=day)
        for n, category in enumerate(categories):
            run = phone.start_run(site_ids[site_index], category, resume=False)
            finished = morning + timedelta(hours=n, minutes=25)
            run.started_at = (finished - timedelta(minutes=25)).isoformat()  # as the phone's clock said that day
            items = run.applicable_items()
            problem = photo(phone, "problem")
            phone.save_answer(run, items[0]["id"], "fail", note="现场发现问题", photo_ids=[problem])
            for item in items[1:-1]:
                phone.save_answer(run, item["id"], "pass")
            scene = photo(phone, "scene")
            phone.save_answer(run, items[-1]["id"], "pass", photo_ids=[scene])
            week.inspections.append(phone.finish_run(run, finished))
            raised = list(run.hazard_ids().values())
            week.hazards += raised
            week.hazards_by_site.setdefault(site_index, []).extend(raised)
            week.photos += [problem, scene]
        if day == TRAINING_DAY:
            sheet = [photo(phone, "training"), photo(phone, "training")]
            week.trainings.append(
                phone.log_training(
                    site_id=site_ids[0],
                    held_at=morning + timedelta(hours=6),
                    topics=["gas", "fire"],
                    trainer="社区民警",
                    attendee_count=42,
                    duration_minutes=60,
                    notes="签到表见照片",
                    photo_ids=sheet,
                )
            )
            week.photos += sheet
        if day == NOTICE_DAY:
            week.noticed = list(week.hazards_by_site[0])
            week.notices.append(phone.issue_notice(organization_id=organization_id, hazard_ids=week.noticed))
        if day == FIX_DAY:
            verification = photo(phone, "verification")
            hazard = week.hazards_by_site[1][0]  # not on the notice: still open, fixable on the spot
            week.transitions.append(
                phone.record_transition(hazard, "fix_on_spot", note="当场更换软管", photo_ids=[verification])
            )
            week.photos.append(verification)
    return week
