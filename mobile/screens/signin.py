"""Sign in: server address, username, password. The session is kept, so later starts work offline."""

from __future__ import annotations

from mobile.screens.base import BaseScreen


class SignInScreen(BaseScreen):
    def refresh(self) -> None:
        if not self.ids.server.text:
            self.ids.server.text = self.app.backend.last_server_url() or self.app.default_server_url
        if not self.ids.username.text:
            self.ids.username.text = self.app.backend.last_username() or ""

    def sign_in(self) -> None:
        server = self.ids.server.text.strip()
        username = self.ids.username.text.strip()
        password = self.ids.password.text
        if not (server and username and password):
            self.error = self.app.tr("signin.fill_all")
            return
        self.error = ""
        self.loading = True

        def done(user: dict) -> None:
            self.loading = False
            self.ids.password.text = ""
            self.app.signed_in(user)

        def failed(error: BaseException) -> None:
            self.loading = False
            self.error = self.app.explain(error)

        self.app.tasks.run(self.app.backend.sign_in, server, username, password, on_done=done, on_error=failed)
