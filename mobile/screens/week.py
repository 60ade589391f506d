"""This week: the officer's sites with what is still due, near-deadline hazards, and the sync state."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import StringProperty
from kivymd.uix.card import MDCard

from mobile.screens.base import BaseScreen
from mobile.screens.format import hazard_row, hazard_title, short_date

URGENT_DAYS = 2


class RevisitCard(MDCard):
    """A closed red hazard whose revisit (回访) is due: one tap says it is still fixed, the other reopens it."""

    revisit_id = StringProperty("")
    hazard_id = StringProperty("")
    severity = StringProperty("red")
    title = StringProperty("")
    subtitle = StringProperty("")


class WeekScreen(BaseScreen):
    def refresh(self) -> None:
        self.load(self.app.backend.week, then=self.show)

    def show(self, week: dict[str, Any]) -> None:
        tr = self.app.tr
        self.ids.heading.text = tr(
            "week.heading",
            name=self.app.user.get("display_name") or self.app.user.get("username", ""),
            week=week.get("week", ""),
        )
        sites_box = self.ids.sites
        sites_box.clear_widgets()
        for site in week.get("sites", []):
            due, done = site.get("due", []), site.get("done", [])
            remaining = [c for c in due if c not in done]
            card = Factory.SiteCard(
                site_id=str(site["site_id"]),
                name=site.get("site_name", ""),
                due_text=(
                    tr(
                        "week.remaining",
                        cats="、".join(tr(f"cat.{c}") for c in remaining)
                        if self.app.lang == "zh_CN"
                        else ", ".join(tr(f"cat.{c}") for c in remaining),
                    )
                    if remaining
                    else tr("week.all_done")
                ),
                visits_text=tr("week.visits", done=site.get("visits", 0), target=site.get("visits_target", 0)),
                progress=(len(due) - len(remaining)) / len(due) if due else 1,
                finished=not remaining,
            )
            card.bind(on_release=lambda w: self.app.go("site", site_id=w.site_id))
            sites_box.add_widget(card)
        if not week.get("sites"):
            sites_box.add_widget(Factory.EmptyNote(text=tr("week.no_sites")))
        urgent_box = self.ids.urgent
        urgent_box.clear_widgets()
        for hazard in week.get("urgent_hazards", []):
            row = Factory.HazardRow(**hazard_row(hazard, self.app, self))
            urgent_box.add_widget(row)
        if not week.get("urgent_hazards"):
            urgent_box.add_widget(Factory.EmptyNote(text=tr("week.no_urgent")))
        revisits_box = self.ids.revisits
        revisits_box.clear_widgets()
        if week.get("revisits"):  # shown only when some are due
            revisits_box.add_widget(Factory.SectionTitle(text=tr("revisit.title")))
        for revisit in week.get("revisits", []):
            revisits_box.add_widget(
                RevisitCard(
                    revisit_id=revisit["id"],
                    hazard_id=revisit["hazard_id"],
                    severity=revisit.get("severity") or "red",
                    title=hazard_title(revisit, self.app.pick),
                    subtitle=tr(
                        "revisit.closed", site=revisit.get("site_name", ""), day=short_date(revisit.get("closed_at"))
                    ),
                )
            )

    def confirm_revisit(self, card: RevisitCard) -> None:
        """Still fixed: one tap, queued for the server."""
        card.disabled = True
        self.act(
            self.app.backend.answer_revisit,
            card.revisit_id,
            "confirmed",
            saved=self.app.tr("revisit.confirmed"),
            then=lambda _r: self._answered(),
        )

    def reopen_revisit(self, card: RevisitCard) -> None:
        """Broken again: a photo of it, and the hazard goes back to being fixed."""

        def taken(path: str | None) -> None:
            if not path:
                return
            card.disabled = True
            fix = self.app.location.fix() if self.app.location else None
            self.act(
                self.app.backend.answer_revisit,
                card.revisit_id,
                "reopen",
                photo_path=path,
                fix=fix,
                saved=self.app.tr("revisit.reopened"),
                then=lambda _r: self._answered(),
            )

        self.app.camera.take_photo(taken)

    def _answered(self) -> None:
        self.app.local_change()
        self.refresh()

    def open_hazard(self, hazard_id: str) -> None:
        self.app.go("hazard", hazard_id=hazard_id)
