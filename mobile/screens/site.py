"""One site: its categories (due, done, last inspection), its open hazards; start a checklist, log training."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory

from mobile.screens.base import BaseScreen
from mobile.screens.format import hazard_row, short_time


class SiteScreen(BaseScreen):
    def refresh(self) -> None:
        site_id = self.params.get("site_id")
        if site_id:
            self.load(self.app.backend.site_overview, site_id, then=self.show)
            self.app.tasks.run(
                self.app.backend.site_history,
                site_id,
                on_done=self.show_history,
                on_error=lambda error: self.show_history({"runs": [], "error": self.app.explain(error)}),
                lane="net",
            )

    def show_history(self, history: dict[str, Any]) -> None:
        """The last run per category (from the server, or as saved when it was last reachable)."""
        from kivymd.uix.label import MDLabel

        tr, box = self.app.tr, self.ids.history
        box.clear_widgets()
        self._history = history

        def say(text: str, *, style: str = "Body", role: str = "medium", muted: bool = False) -> None:
            label = MDLabel(text=text, adaptive_height=True, font_style=style, role=role)
            if muted:
                label.theme_text_color = "Custom"
                label.text_color = self.app.theme_cls.onSurfaceVariantColor
            box.add_widget(label)

        if history.get("error"):
            say(history["error"], muted=True)
        elif history.get("offline"):
            fetched = history.get("fetched_at")
            say(
                tr("site.history_offline", when=short_time(fetched)) if fetched else tr("site.history_never"),
                muted=True,
            )
        if not history.get("runs") and not history.get("offline") and not history.get("error"):
            say(tr("site.no_history"), muted=True)
        for run in history.get("runs", []):
            title = tr(
                "site.history_run",
                category=tr(f"cat.{run['category']}"),
                when=short_time(run["finished_at"]),
                passed=run["passed"],
                failed=len(run["failed"]),
            )
            flags = " · ".join(tr(f"presence.{f}") for f in run.get("presence_flags", []))
            say(title + (f" 【{flags}】" if flags else ""), role="large")
            for failed in run["failed"]:
                bullet = "• " if self.app.lang == "en" else "•"  # Chinese wraps at spaces only: keep it on the line
                say(bullet + self.app.pick(failed["prompt"]) + (f" — {failed['note']}" if failed["note"] else ""))
                if failed["photos"]:
                    strip = Factory.PhotoStrip(tile="64dp")  # photos after its kv rule made ids.row
                    strip.photos = list(failed["photos"])
                    box.add_widget(strip)

    def show(self, overview: dict[str, Any]) -> None:
        tr = self.app.tr
        site = overview["site"]
        self.ids.bar_title.text = site.get("name", "")
        self.ids.address.text = " · ".join(x for x in (site.get("street"), site.get("address")) if x)
        profile = site.get("profile") or {}
        about = tr(
            "site.about", buildings=profile.get("building_count", 0), households=profile.get("household_count", 0)
        )
        if overview.get("company_name"):
            about += " · " + tr("site.company", name=overview["company_name"])
        elif not site.get("property_org_id"):
            about += " · " + tr("site.no_company")
        self.ids.company.text = about
        box = self.ids.categories
        box.clear_widgets()
        for cat in overview.get("categories", []):
            if cat.get("done"):
                state = tr("site.done_this_week")
            elif cat.get("draft"):
                state = tr("site.draft", answered=cat.get("draft_answered", 0), total=cat.get("item_count", 0))
            else:
                state = tr("site.due_this_week")
            last = cat.get("last_inspection")
            row = Factory.CategoryRow(
                category=cat["category"],
                title=tr(f"cat.{cat['category']}"),
                state_text=state,
                last_text=tr("site.last", when=short_time(last)) if last else "",
                done=bool(cat.get("done")),
                draft=bool(cat.get("draft")),
            )
            row.bind(on_start_run=lambda w: self.start_run(w.category))
            box.add_widget(row)
        hazards = self.ids.hazards
        hazards.clear_widgets()
        for hazard in overview.get("hazards", []):
            hazards.add_widget(Factory.HazardRow(**hazard_row(hazard, self.app, self)))
        if not overview.get("hazards"):
            hazards.add_widget(Factory.EmptyNote(text=tr("site.no_hazards")))

    def start_run(self, category: str) -> None:
        self.app.go("checklist", site_id=self.params["site_id"], category=category)

    def log_training(self) -> None:
        self.app.go("training", site_id=self.params["site_id"])

    def open_hazard(self, hazard_id: str) -> None:
        self.app.go("hazard", hazard_id=hazard_id)
