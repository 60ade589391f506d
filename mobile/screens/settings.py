"""Settings: language (switched live), sync now, the 'needs attention' list with the server's words, sign out."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty
from kivymd.uix.card import MDCard

from mobile.i18n import describe_label, explain_code
from mobile.screens.base import BaseScreen
from mobile.widgets.sync_bar import format_last_sync


class AttentionCard(MDCard):
    """A record the server refused, with its message, and what the officer can do about it."""

    entry_id = StringProperty("")
    title = StringProperty("")
    message = StringProperty("")
    waiting = BooleanProperty(False)
    __events__ = ("on_retry", "on_discard")

    def on_retry(self) -> None:
        pass

    def on_discard(self) -> None:
        pass


class SettingsScreen(BaseScreen):
    confirm_sign_out = BooleanProperty(False)

    def on_kv_post(self, base_widget: Any) -> None:
        super().on_kv_post(base_widget)
        self.app.bind(attention=lambda *_: self.show_attention(), last_sync=lambda *_: self.show_account())

    def refresh(self) -> None:
        self.confirm_sign_out = False
        self.app.refresh_status()
        self.show_account()
        self.show_attention()

    def show_account(self) -> None:
        tr, user = self.app.tr, self.app.user
        self.ids.account.text = tr(
            "settings.account",
            name=user.get("display_name") or user.get("username", ""),
            role=tr(f"role.{user.get('role', '')}"),
        )
        self.ids.server.text = tr("settings.server", url=self.app.backend.last_server_url() or "")
        self.ids.last_sync.text = tr("settings.last_sync", when=format_last_sync(self.app.last_sync, tr))

    def show_attention(self) -> None:
        if "attention" not in self.ids:
            return
        box = self.ids.attention
        box.clear_widgets()
        for entry in self.app.attention:
            card = Factory.AttentionCard(
                entry_id=str(entry["id"]),
                title=self.describe(entry),
                message=self.reason(entry),
                waiting=entry.get("state") == "waiting",
            )
            card.bind(
                on_retry=lambda w: self.act(
                    self.app.backend.retry_item, w.entry_id, then=lambda _r: self.app.sync_now()
                ),
                on_discard=lambda w: self.act(
                    self.app.backend.discard_item, w.entry_id, then=lambda _r: self.app.local_change()
                ),
            )
            box.add_widget(card)
        self.ids.attention_empty.opacity = 0 if self.app.attention else 1

    def describe(self, entry: dict) -> str:
        return describe_label(entry.get("label"), self.app.lang) or self.app.tr(f"kind.{entry.get('kind')}")

    def reason(self, entry: dict) -> str:
        """Why the item waits, in the app's language: the rule the server applied, by its code and values."""
        if entry.get("state") == "waiting":
            return self.app.tr("attention.waiting", label=describe_label(entry.get("waiting_on_label"), self.app.lang))
        return explain_code(entry.get("code"), entry.get("params"), self.app.lang) or self.app.tr("error.unknown")

    def sign_out(self) -> None:
        if self.app.pending_count and not self.confirm_sign_out:
            self.confirm_sign_out = True
            return
        self.app.sign_out()
