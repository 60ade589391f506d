"""Hazards: the list (overdue first, filters), one hazard (timeline, photos side by side, actions),
and the form for an action (note, photos, deadline)."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from mobile.screens.base import BaseScreen, PhotoFormMixin
from mobile.screens.format import deadline_text, hazard_row, hazard_sort_key, hazard_title, is_overdue, short_time
from mobile.widgets.colors import on_severity_color, severity_color
from rulebook import lifecycle

# Each action's button: its icon, and whether it is the usual next step (a filled button a thumb finds first;
# the rest are outlined).
ACTION_BUTTONS = {
    "notify": ("file-send-outline", True),
    "acknowledge": ("draw-pen", True),
    "submit_evidence": ("camera-enhance-outline", True),
    "verify": ("check-decagram-outline", True),
    "reject": ("close-octagon-outline", False),
    "fix_on_spot": ("wrench-check-outline", False),
    "reopen": ("restore", False),
    "cancel": ("cancel", False),
}


class HazardsScreen(BaseScreen):
    severity = StringProperty("")  # '' = all
    overdue_only = BooleanProperty(False)
    show_closed = BooleanProperty(False)

    def refresh(self) -> None:
        self.load(self.app.backend.hazard_list, closed=self.show_closed, then=self.show)

    def set_filter(self, severity: str | None = None, overdue: bool | None = None, closed: bool | None = None) -> None:
        if severity is not None:
            self.severity = "" if severity == self.severity else severity
        if overdue is not None:
            self.overdue_only = overdue
        if closed is not None and closed != self.show_closed:
            self.show_closed = closed
            self.refresh()
            return
        self.show(self._all if hasattr(self, "_all") else [])

    def show(self, hazards: list[dict[str, Any]]) -> None:
        self._all = hazards
        shown = [
            h
            for h in hazards
            if (not self.severity or h.get("severity") == self.severity) and (not self.overdue_only or is_overdue(h))
        ]
        shown.sort(key=hazard_sort_key)
        self.ids.rv.data = [hazard_row(h, self.app, self) for h in shown]
        self.ids.count.text = self.app.tr(
            "hazards.count", count=len(shown), overdue=sum(1 for h in shown if is_overdue(h))
        )
        self.ids.empty.opacity = 0 if shown else 1

    def open_hazard(self, hazard_id: str) -> None:
        self.app.go("hazard", hazard_id=hazard_id)


class HazardScreen(BaseScreen):
    def refresh(self) -> None:
        hazard_id = self.params.get("hazard_id")
        if hazard_id:
            self.load(self.app.backend.hazard_detail, hazard_id, then=self.show)

    def show(self, hazard: dict[str, Any]) -> None:
        tr, pick = self.app.tr, self.app.pick
        self.hazard = hazard
        severity = hazard.get("severity", "")
        self.ids.severity_chip.text = tr(f"sev.{severity}")
        self.ids.severity_chip.md_bg_color = severity_color(severity)
        self.ids.severity_chip.text_color = on_severity_color(severity)
        status = tr(f"status.{hazard.get('status')}")
        if hazard.get("pending_actions") or hazard.get("provisional"):
            status += " · " + tr("hazard.waiting_sync")
        self.ids.status.text = status
        self.ids.title.text = hazard_title(hazard, pick)
        info = self.ids.info
        info.clear_widgets()
        rows = [
            (tr("hazard.site"), hazard.get("site_name", "")),
            (tr("hazard.category"), tr(f"cat.{hazard.get('category')}")),
            (tr("hazard.deadline"), f"{short_time(hazard.get('deadline'))}  {deadline_text(hazard, tr)}"),
            (tr("hazard.company"), hazard.get("organization_name") or tr("site.no_company")),
            (tr("hazard.found"), short_time(hazard.get("found_at"))),
        ]
        note = hazard.get("note_text") if hazard.get("item_prompt") else hazard.get("description")
        if note and hazard_title(hazard, pick) != note:
            rows.append((tr("hazard.note"), note))
        if hazard.get("notice_number"):
            rows.append((tr("hazard.notice"), hazard["notice_number"]))
        if hazard.get("presence_flags"):  # what the server noticed about where and when it was found
            rows.append((tr("hazard.presence"), " · ".join(tr(f"presence.{f}") for f in hazard["presence_flags"])))
        for label, value in rows:
            info.add_widget(Factory.InfoLine(label=label, value=value))
        self.ids.deadline_overdue.opacity = 1 if is_overdue(hazard) else 0
        photos = hazard.get("photos", {})
        self.ids.before.photos = photos.get("before", [])
        self.ids.after.photos = photos.get("after", [])
        self.ids.verification.photos = photos.get("verification", [])
        self.ids.photo_row.opacity = 1 if any(photos.get(k) for k in ("before", "after", "verification")) else 0.4
        timeline = self.ids.timeline
        timeline.clear_widgets()
        for event in hazard.get("history", []):
            what = tr(f"event.{event.get('action')}")
            if event.get("actor_name"):
                what += f" · {event['actor_name']}"
            timeline.add_widget(
                Factory.TimelineEntry(when=short_time(event.get("at")), what=what, note=event.get("note") or "")
            )
        actions = self.ids.actions
        actions.clear_widgets()
        for action in hazard.get("allowed_actions", []):
            icon, primary = ACTION_BUTTONS.get(action, ("gesture-tap", False))
            button = Factory.HazardActionButton(
                action=action, icon=icon, label=tr(f"action.{action}"), style="filled" if primary else "outlined"
            )
            button.bind(on_release=lambda w: self.start_action(w.action))
            actions.add_widget(button)
        self.ids.no_actions.opacity = 0 if hazard.get("allowed_actions") else 1

    def start_action(self, action: str) -> None:
        if action == "acknowledge":
            self.act(
                self.app.backend.transition,
                self.hazard["id"],
                action,
                saved=self.app.tr("action.saved"),
                then=lambda _r: self.app.local_change(),
            )
            return
        self.app.go("action", hazard_id=str(self.hazard["id"]), action=action)


class HazardActionScreen(PhotoFormMixin, BaseScreen):
    """Note, photos and (for a notice) the deadline, then one tap to save the step for sync."""

    wants_photo = BooleanProperty(False)
    asks_deadline = BooleanProperty(False)

    def refresh(self) -> None:
        self.show_labels()
        self.ids.note.text = ""
        self.ids.deadline_days.text = ""
        self.photos: list[str] = []
        self.ids.photos.photos = []
        self.error = ""

    def language_changed(self) -> None:
        self.show_labels()

    def show_labels(self) -> None:
        action = self.params.get("action", "")
        rule = lifecycle.rule_for(action)
        tr = self.app.tr
        self.ids.bar_title.text = tr(f"action.{action}")
        self.ids.explain.text = tr(f"action.{action}.explain")
        self.ids.note_hint.text = tr("action.reason") if rule and rule.needs_note else tr("action.note")
        self.wants_photo = bool(rule and rule.photo_kind)
        self.asks_deadline = bool(rule and rule.sets_deadline)

    def submit(self) -> None:
        action = self.params["action"]
        rule = lifecycle.rule_for(action)
        needs_note, photo_kind, asks_deadline = rule.needs_note, rule.photo_kind, rule.sets_deadline
        note = self.ids.note.text.strip()
        if needs_note and not note:
            self.error = self.app.tr("action.reason_needed")
            return
        if photo_kind and not self.photos:
            self.error = self.app.tr("action.photo_needed")
            return
        days = None
        if asks_deadline and self.ids.deadline_days.text.strip():
            try:
                days = int(self.ids.deadline_days.text.strip())
                if not 1 <= days <= 365:
                    raise ValueError
            except ValueError:
                self.error = self.app.tr("action.bad_days")
                return
        self.save_in_background(
            self.ids.submit,
            self.app.backend.transition,
            self.params["hazard_id"],
            action,
            note=note or None,
            photo_paths=list(self.photos),
            photo_kind=photo_kind,
            deadline_days=days,
            saved=self.app.tr("action.saved"),
        )
