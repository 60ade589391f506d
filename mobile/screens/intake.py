"""Intake: the grid worker's reports (report a problem, follow it, answer on the repair) and the officer's
queue of reports from their sites (accept with a severity, merge into an open hazard, decline)."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivymd.uix.boxlayout import MDBoxLayout

from mobile.screens.base import BaseScreen, PhotoFormMixin
from mobile.screens.format import hazard_title, short_time
from rulebook.categories import CATEGORIES, SEVERITIES
from rulebook.intake import MAX_REPORT_PHOTOS

STATUS_TONES = {"pending": "waiting", "accepted": "done", "merged": "done", "declined": "refused"}


class IntakeCard(ButtonBehavior, MDBoxLayout):
    """One report: what, where, when, where it stands; the reporter's fixed / not fixed when asked."""

    report_id = StringProperty("")
    title = StringProperty("")
    subtitle = StringProperty("")
    status_text = StringProperty("")
    tone = StringProperty("waiting")  # waiting | done | refused
    overdue = BooleanProperty(False)
    can_revisit = BooleanProperty(False)
    __events__ = ("on_revisit",)

    def on_revisit(self, fixed: bool) -> None:
        pass


class HazardChoice(ButtonBehavior, MDBoxLayout):
    """An open hazard of the report's site to merge into; `active` when chosen."""

    hazard_id = StringProperty("")
    severity = StringProperty("")
    title = StringProperty("")
    subtitle = StringProperty("")
    active = BooleanProperty(False)


def report_status_text(report: dict[str, Any], tr: Any) -> str:
    status = report.get("status", "pending")
    text = tr(f"intake_status.{status}")
    if status == "declined" and report.get("decline_reason"):
        text = tr("reports.declined_because", reason=report["decline_reason"])
    elif report.get("hazard_status") and status in ("accepted", "merged"):  # follow the hazard it became
        text += " · " + tr("reports.hazard_is", status=tr(f"status.{report['hazard_status']}"))
    if report.get("revisit_answer"):
        text += " · " + tr(f"reports.answered_{report['revisit_answer']}")
    if report.get("pending"):
        text += " · " + tr("reports.to_send")
    return text


def report_card(report: dict[str, Any], app: Any) -> IntakeCard:
    tr = app.tr
    source = report.get("source")
    parts = [
        report.get("site_name", ""),
        tr(f"cat.{report.get('category')}"),
        tr("intake.reported", when=short_time(report.get("reported_at") or report.get("created_at"))),
    ]
    if source and app.role != "gridworker":
        parts.append(tr(f"source.{source}"))
    if report.get("kind") == "reopen_request":
        parts.insert(0, tr("intake.reopen_short"))
    overdue = bool(report.get("overdue")) and report.get("status") == "pending"
    status = report_status_text(report, tr)
    return Factory.IntakeCard(
        report_id=str(report["id"]),
        title=report.get("description", ""),
        subtitle=" · ".join(p for p in parts if p),
        status_text=f"{status} · {tr('intake.overdue')}" if overdue else status,
        tone=STATUS_TONES.get(report.get("status", "pending"), "waiting"),
        overdue=overdue,
        can_revisit=bool(report.get("can_revisit")),
    )


# ---- the grid worker ------------------------------------------------------------------------------------


class ReportsScreen(BaseScreen):
    """The grid worker's home: report a problem, and their reports with where each stands."""

    def refresh(self) -> None:
        self.load(self.app.backend.my_reports, then=self.show)

    def show(self, reports: list[dict[str, Any]]) -> None:
        box = self.ids.reports
        box.clear_widgets()
        for report in reports:
            card = report_card(report, self.app)
            card.bind(on_revisit=lambda w, fixed: self.answer(w.report_id, fixed))
            box.add_widget(card)
        self.ids.empty.opacity = 0 if reports else 1

    def answer(self, report_id: str, fixed: bool) -> None:
        self.act(
            self.app.backend.answer_report_revisit,
            report_id,
            fixed,
            saved=self.app.tr("reports.answer_saved"),
            then=lambda _r: self.app.local_change(),
        )


class ReportScreen(PhotoFormMixin, BaseScreen):
    """Report a problem: site, category, description, up to 3 photos, where the phone is."""

    site_id = StringProperty("")
    category = StringProperty("")
    sites = ListProperty()

    def refresh(self) -> None:
        self.photos: list[str] = []
        self.ids.photos.photos = []
        self.ids.description.text = ""
        self.category = ""
        self.error = ""
        self.show_categories()
        self.show_location()
        self.load(self.app.backend.sites, then=self.show_sites)

    def language_changed(self) -> None:
        self.show_categories()
        self.show_location()

    def show_sites(self, sites: list[dict[str, Any]]) -> None:
        self.sites = sites
        if len(sites) == 1:
            self.site_id = str(sites[0]["id"])
        elif self.site_id not in {str(s["id"]) for s in sites}:
            self.site_id = ""
        box = self.ids.sites
        box.clear_widgets()
        for site in sites:
            chip = Factory.FilterChip(text=site.get("name", ""), active=str(site["id"]) == self.site_id)
            chip.site_id = str(site["id"])
            chip.bind(on_release=lambda w: self.choose_site(w.site_id))
            box.add_widget(chip)
        self.ids.no_sites.opacity = 0 if sites else 1

    def choose_site(self, site_id: str) -> None:
        self.site_id = site_id
        for chip in self.ids.sites.children:
            chip.active = chip.site_id == site_id

    def show_categories(self) -> None:
        box = self.ids.categories
        box.clear_widgets()
        for category in CATEGORIES:
            chip = Factory.FilterChip(text=self.app.tr(f"cat.{category}"), active=category == self.category)
            chip.category = category
            chip.bind(on_release=lambda w: self.choose_category(w.category))
            box.add_widget(chip)

    def choose_category(self, category: str) -> None:
        self.category = category
        for chip in self.ids.categories.children:
            chip.active = chip.category == category

    def show_location(self) -> None:
        fix = self.app.location.fix() if self.app.location else None
        tr = self.app.tr
        self.ids.location.text = (
            tr("report.location", lat=f"{fix['lat']:.5f}", lon=f"{fix['lon']:.5f}") if fix else tr("report.no_location")
        )

    def add_photo(self) -> None:
        if len(self.photos) >= MAX_REPORT_PHOTOS:
            self.error = self.app.tr("report.photo_limit")
            return
        self.error = ""
        super().add_photo()

    def save(self) -> None:
        tr = self.app.tr
        description = self.ids.description.text.strip()
        if not self.site_id:
            self.error = tr("report.need_site")
        elif not self.category:
            self.error = tr("report.need_category")
        elif not description:
            self.error = tr("report.need_description")
        else:
            self.save_in_background(
                self.ids.save,
                self.app.backend.report_problem,
                site_id=self.site_id,
                category=self.category,
                description=description,
                photo_paths=list(self.photos),
                fix=self.app.location.fix() if self.app.location else None,
                saved=tr("report.saved"),
            )


# ---- the officer ------------------------------------------------------------------------------------------


class IntakeScreen(BaseScreen):
    """Reports of the officer's sites waiting for a decision (overdue first), then those decided."""

    def refresh(self) -> None:
        self.load(self.app.backend.intake_overview, then=self.show)

    def show(self, overview: dict[str, list[dict[str, Any]]]) -> None:
        queue, decided = overview["queue"], overview["decided"]
        self.ids.count.text = self.app.tr(
            "intake.count", count=len(queue), overdue=sum(1 for r in queue if r.get("overdue"))
        )
        for box, reports in ((self.ids.queue, queue), (self.ids.decided, decided)):
            box.clear_widgets()
            for report in reports:
                card = report_card(report, self.app)
                card.bind(on_release=lambda w: self.app.go("intake_report", report_id=w.report_id))
                box.add_widget(card)
        self.ids.empty.opacity = 0 if queue else 1
        self.ids.decided_title.opacity = 1 if decided else 0


class IntakeReportScreen(BaseScreen):
    """One report and the officer's decision on it: accept with a severity, merge, or decline with a reason."""

    choice = StringProperty("")  # accept | merge | decline
    severity = StringProperty("")
    hazard_id = StringProperty("")
    can_decide = BooleanProperty(False)
    reopen = BooleanProperty(False)  # the reporter said "not fixed": accept reopens the hazard, nothing to merge

    def refresh(self) -> None:
        self.can_decide = False
        self.choice = self.severity = self.hazard_id = ""
        self.ids.reason.text = ""
        self.error = ""
        report_id = self.params.get("report_id")
        if report_id:
            self.load(self.app.backend.intake_report_detail, report_id, then=self.show)

    def language_changed(self) -> None:
        if getattr(self, "report", None):
            self.show(self.report)

    def show(self, report: dict[str, Any]) -> None:
        tr = self.app.tr
        self.report = report
        self.ids.description.text = report.get("description", "")
        self.ids.status.text = report_status_text(report, tr)
        self.ids.overdue.opacity = 1 if report.get("overdue") and report.get("status") == "pending" else 0
        info = self.ids.info
        info.clear_widgets()
        rows = [
            (tr("hazard.site"), report.get("site_name", "")),
            (tr("hazard.category"), tr(f"cat.{report.get('category')}")),
            (tr("intake.when"), short_time(report.get("reported_at") or report.get("created_at"))),
        ]
        if report.get("source"):
            rows.append((tr("intake.from"), tr(f"source.{report['source']}")))
        self.reopen = report.get("kind") == "reopen_request"
        if self.reopen:
            rows.insert(0, (tr("intake.kind"), tr("intake.reopen_request")))
        for label, value in rows:
            if value:
                info.add_widget(Factory.InfoLine(label=label, value=value))
        self.ids.photos.photos = report.get("photo_files", [])
        self.ids.photo_box.opacity = 1 if report.get("photo_files") else 0
        self.ids.photo_box.height = self.ids.photo_box.minimum_height if report.get("photo_files") else 0
        hazards = self.ids.hazards
        hazards.clear_widgets()
        for hazard in report.get("hazards", []):
            choice = Factory.HazardChoice(
                hazard_id=str(hazard["id"]),
                severity=hazard.get("severity", ""),
                title=hazard_title(hazard, self.app.pick),
                subtitle=tr(f"status.{hazard.get('status')}"),
                active=str(hazard["id"]) == self.hazard_id,
            )
            choice.bind(on_release=lambda w: self.choose_hazard(w.hazard_id))
            hazards.add_widget(choice)
        self.ids.no_hazards.opacity = 0 if report.get("hazards") else 1
        self.can_decide = report.get("status") == "pending" and self.app.role in ("officer", "admin")

    def choose(self, choice: str) -> None:
        self.choice = choice
        self.error = ""

    def choose_severity(self, severity: str) -> None:
        if severity in SEVERITIES:
            self.severity = severity

    def choose_hazard(self, hazard_id: str) -> None:
        self.hazard_id = hazard_id
        for widget in self.ids.hazards.children:
            widget.active = widget.hazard_id == hazard_id

    def save(self) -> None:
        tr, backend, report_id = self.app.tr, self.app.backend, self.params["report_id"]
        reason = self.ids.reason.text.strip()
        if self.choice == "accept" and (self.severity or self.reopen):
            call, args = backend.accept_report, (report_id, self.severity or None)
        elif self.choice == "merge" and self.hazard_id:
            call, args = backend.merge_report, (report_id, self.hazard_id)
        elif self.choice == "decline" and reason:
            call, args = backend.decline_report, (report_id, reason)
        else:
            missing = {"accept": "intake.need_severity", "merge": "intake.need_hazard", "decline": "intake.need_reason"}
            self.error = tr(missing.get(self.choice, "intake.need_choice"))
            return
        self.save_in_background(self.ids.save, call, *args, saved=tr("intake.saved"))
