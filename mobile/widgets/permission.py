"""Says why the phone needs a permission the officer refused, with a button that asks again."""

from __future__ import annotations

from collections.abc import Callable

from kivy.metrics import dp
from kivy.uix.modalview import ModalView
from kivymd.uix.boxlayout import MDBoxLayout
from kivymd.uix.button import MDButton, MDButtonText
from kivymd.uix.label import MDLabel


class PermissionNotice(ModalView):
    def __init__(self, text: str, retry_text: str, close_text: str, retry: Callable[[], None]) -> None:
        super().__init__(size_hint=(0.92, None), height=dp(200), auto_dismiss=True, background_color=(0, 0, 0, 0.4))
        box = MDBoxLayout(orientation="vertical", padding=dp(16), spacing=dp(12), md_bg_color=(1, 1, 1, 1))
        box.radius = [dp(12)]
        self.sentence = MDLabel(text=text, font_style="Body", role="large")
        buttons = MDBoxLayout(size_hint_y=None, height=dp(48), spacing=dp(8))
        close = MDButton(MDButtonText(text=close_text), style="text")
        again = MDButton(MDButtonText(text=retry_text), style="filled")
        close.bind(on_release=lambda *_: self.dismiss())

        def ask_again(*_args: object) -> None:
            self.dismiss()
            retry()

        again.bind(on_release=ask_again)
        buttons.add_widget(MDBoxLayout())
        buttons.add_widget(close)
        buttons.add_widget(again)
        box.add_widget(self.sentence)
        box.add_widget(buttons)
        self.add_widget(box)
