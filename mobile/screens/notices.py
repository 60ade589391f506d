"""Notices for property users: their rectification notices, 签收 (acknowledge), respond hazard by hazard."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.metrics import dp

from mobile.screens.base import BaseScreen
from mobile.screens.format import hazard_row, hazard_sort_key, short_date, short_time


class NoticesScreen(BaseScreen):
    def refresh(self) -> None:
        self.load(self.app.backend.notices, then=self.show)

    def show(self, notices: list[dict[str, Any]]) -> None:
        tr = self.app.tr
        box = self.ids.notices
        box.clear_widgets()
        # Not yet acknowledged first: those are the ones waiting on this user.
        for notice in sorted(
            notices,
            key=lambda n: (bool(n.get("acknowledged_at") or n.get("pending_acknowledgement")), n.get("deadline") or ""),
        ):
            acknowledged = bool(notice.get("acknowledged_at") or notice.get("pending_acknowledgement"))
            if notice.get("pending_acknowledgement"):
                state = tr("notice.ack_waiting_sync")
            elif acknowledged:
                state = tr("notice.acknowledged_at", when=short_time(notice["acknowledged_at"]))
            else:
                state = tr("notice.to_acknowledge")
            row = Factory.NoticeRow(
                notice_id=str(notice["id"]),
                number=tr("notice.number", number=notice.get("number", "")),
                subtitle=tr(
                    "notice.summary",
                    count=len(notice.get("hazard_ids", [])),
                    deadline=short_date(notice.get("deadline")),
                    sites="、".join(notice.get("site_names", [])),
                ),
                state_text=state,
                acknowledged=acknowledged,
            )
            row.bind(on_release=lambda w: self.app.go("notice", notice_id=w.notice_id))
            box.add_widget(row)
        self.ids.empty.opacity = 0 if notices else 1


class NoticeScreen(BaseScreen):
    def refresh(self) -> None:
        notice_id = self.params.get("notice_id")
        if notice_id:
            self.load(self.app.backend.notice_detail, notice_id, then=self.show)

    def show(self, notice: dict[str, Any]) -> None:
        tr = self.app.tr
        self.notice = notice
        self.ids.bar_title.text = tr("notice.number", number=notice.get("number", ""))
        info = self.ids.info
        info.clear_widgets()
        for label, value in (
            (tr("notice.company"), notice.get("organization_name", "")),
            (tr("notice.issued"), short_time(notice.get("issued_at"))),
            (tr("notice.deadline"), short_date(notice.get("deadline"))),
            (tr("notice.basis"), notice.get("basis") or ""),
            (tr("notice.note"), notice.get("note") or ""),
        ):
            if value:
                info.add_widget(Factory.InfoLine(label=label, value=value))
        acknowledged = bool(notice.get("acknowledged_at") or notice.get("pending_acknowledgement"))
        self.ids.ack_state.text = (
            tr("notice.ack_waiting_sync")
            if notice.get("pending_acknowledgement")
            else tr("notice.acknowledged_at", when=short_time(notice.get("acknowledged_at")))
            if acknowledged
            else tr("notice.ack_explain")
        )
        can_ack = not acknowledged and self.app.role == "property"
        self.ids.ack_button.disabled = not can_ack
        self.ids.ack_button.opacity = 1 if can_ack else 0
        self.ids.ack_button.height = dp(52) if can_ack else 0
        hazards = self.ids.hazards
        hazards.clear_widgets()
        for hazard in sorted(notice.get("hazards", []), key=hazard_sort_key):
            hazards.add_widget(Factory.HazardRow(**hazard_row(hazard, self.app, self)))

    def acknowledge(self) -> None:
        self.ids.ack_button.disabled = True
        self.act(
            self.app.backend.acknowledge_notice,
            self.params["notice_id"],
            saved=self.app.tr("notice.ack_saved"),
            then=lambda _r: self.app.local_change(),
        )

    def open_hazard(self, hazard_id: str) -> None:
        self.app.go("hazard", hazard_id=hazard_id)
