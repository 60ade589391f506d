"""The sync indicator: pending items, last sync, a progress bar while syncing, 'needs attention'."""

from __future__ import annotations

from datetime import datetime

from kivymd.uix.card import MDCard


def format_last_sync(iso: str, tr) -> str:  # type: ignore[no-untyped-def]
    """'today 10:42', 'Nov 24 18:03' or 'never' — in the phone's local time."""
    if not iso:
        return tr("sync.never")
    try:
        moment = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    if moment.date() == datetime.now().astimezone().date():
        return tr("sync.today_at", time=moment.strftime("%H:%M"))
    return moment.strftime("%m-%d %H:%M")


class SyncBar(MDCard):
    """Binds to the app's sync state; tapping 'needs attention' opens Settings where the list is."""

    def status_text(self, app, *_deps) -> str:  # type: ignore[no-untyped-def]
        if app.syncing:
            return app.tr("sync.running")
        if app.sync_message:
            return app.sync_message
        pending = app.tr("sync.pending", count=app.pending_count) if app.pending_count else app.tr("sync.all_sent")
        return f"{pending} · {app.tr('sync.last')} {format_last_sync(app.last_sync, app.tr)}"

    def icon_name(self, app, *_deps) -> str:  # type: ignore[no-untyped-def]
        if app.attention:
            return "alert-circle"
        if app.syncing:
            return "cloud-sync-outline"
        if app.sync_message:
            return "cloud-off-outline"
        return "cloud-upload-outline" if app.pending_count else "cloud-check-outline"
