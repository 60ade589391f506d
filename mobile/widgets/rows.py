"""List rows: checklist items and hazards (in RecycleViews), sites, categories and notices (cards)."""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview.views import RecycleDataViewBehavior
from kivymd.uix.boxlayout import MDBoxLayout
from kivymd.uix.card import MDCard

from mobile.widgets.text import ThemeText  # noqa: F401  (registers the label rows.kv uses)


class RowTapArea(ButtonBehavior, BoxLayout):
    """The part of a checklist row that opens the item."""


class ChecklistRow(RecycleDataViewBehavior, BoxLayout):
    """One item in the scrolling checklist: prompt, the three answers, note / photo marks (plain Kivy
    widgets in the theme's type: see mobile/widgets/text.py)."""

    item_id = StringProperty("")
    number = NumericProperty(0)
    prompt = StringProperty("")
    result = StringProperty("")
    severity = StringProperty("")
    marks = StringProperty("")
    warning = BooleanProperty(False)
    handler = ObjectProperty(None, allownone=True)

    def refresh_view_attrs(self, rv, index, data):  # type: ignore[no-untyped-def]
        super().refresh_view_attrs(rv, index, data)
        # A tap fills the buttons at once (AnswerButtons.choose); when this row is reused for another item
        # whose `result` equals the one it had before, no property changes, so say it here: a recycled row
        # must never show another item's answer.
        self.ids.answers.result = data.get("result", "")


class HazardRow(RecycleDataViewBehavior, ButtonBehavior, MDBoxLayout):
    hazard_id = StringProperty("")
    severity = StringProperty("")
    title = StringProperty("")
    subtitle = StringProperty("")
    status_text = StringProperty("")
    deadline_text = StringProperty("")
    overdue = BooleanProperty(False)
    pending = BooleanProperty(False)
    handler = ObjectProperty(None, allownone=True)


class SiteCard(MDCard):
    site_id = StringProperty("")
    name = StringProperty("")
    due_text = StringProperty("")
    visits_text = StringProperty("")
    progress = NumericProperty(0)
    finished = BooleanProperty(False)


class CategoryRow(MDCard):
    category = StringProperty("")
    title = StringProperty("")
    state_text = StringProperty("")
    last_text = StringProperty("")
    done = BooleanProperty(False)
    draft = BooleanProperty(False)
    action_text = StringProperty("")
    __events__ = ("on_start_run",)

    def on_start_run(self) -> None:
        pass


class NoticeRow(MDCard):
    notice_id = StringProperty("")
    number = StringProperty("")
    subtitle = StringProperty("")
    state_text = StringProperty("")
    acknowledged = BooleanProperty(False)


class InfoLine(MDBoxLayout):
    """A label / value pair on detail screens."""

    label = StringProperty("")
    value = StringProperty("")


class TimelineEntry(MDBoxLayout):
    when = StringProperty("")
    what = StringProperty("")
    note = StringProperty("")
