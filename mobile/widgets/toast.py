"""A short message at the bottom of the screen."""

from __future__ import annotations

from kivymd.uix.snackbar import MDSnackbar


class Toast(MDSnackbar):
    """MDSnackbar without the touch ripple.

    KivyMD's M3 ripple builds an Fbo with its own shader in __init__: that compiles a shader for every
    message (a visible hitch on software GL) and fails outright on some drivers when the snackbar is
    still 0 px high. A message has nothing to ripple about, so neither is made.
    """

    def init_fbos(self) -> None:
        self.fbo = None

    def call_ripple_animation_methods(self, touch) -> None:  # type: ignore[no-untyped-def]
        return None
