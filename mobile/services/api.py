"""HTTP client for the SafeRound API: sign-in, token refresh, one error type.

Every failure becomes an ApiError that says whether trying again later can help
(`retryable`): no connection, a timeout, 5xx and 429 can; any other 4xx cannot.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # httpx is imported when the first request is made: a cold start does without it
    import httpx

API_PREFIX = "/api/v1"
# Refresh the access token this long before it expires, so a request never races its expiry.
REFRESH_MARGIN_SECONDS = 60
PAGE_SIZE = 500  # the server's largest page
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class ApiError(Exception):
    """A failed call. `status` is 0 when no HTTP answer arrived (no network, timeout, connection cut).

    `code` is the server's machine code (e.g. "unknown_photos", "stale_version") or
    "network" / "timeout" for transport failures; `message` is the server's sentence
    (`detail`) meant for people; `body` is the whole JSON error (a 412 carries `hazard`).
    """

    def __init__(self, status: int, code: str, message: str, retryable: bool, body: dict[str, Any] | None = None):
        super().__init__(f"{status or 'no answer'} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retryable = retryable
        self.body = body or {}

    @property
    def params(self) -> dict[str, Any]:
        """The values of the server's sentence, to say it again in the phone's language (rulebook.messages)."""
        params = self.body.get("params")
        return params if isinstance(params, dict) else {}

    @property
    def is_network(self) -> bool:
        """True when the server could not be reached at all (the link is down)."""
        return self.status == 0


class SessionExpired(ApiError):
    """Both tokens are gone or refused: the user must sign in again (work stays queued)."""

    def __init__(self, message: str = "Your sign-in has expired; sign in again to send your work."):
        super().__init__(401, "session_expired", message, retryable=False)


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: float  # unix time the access token stops working

    def as_dict(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "refresh_token": self.refresh_token, "expires_at": self.expires_at}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Tokens | None:
        if not data or not data.get("refresh_token"):
            return None
        return cls(data.get("access_token", ""), data["refresh_token"], float(data.get("expires_at", 0)))

    @classmethod
    def from_response(cls, data: dict[str, Any]) -> Tokens:
        return cls(data["access_token"], data["refresh_token"], time.time() + float(data.get("expires_in", 1800)))


def error_from_response(response: httpx.Response) -> ApiError:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    detail = body.get("detail")
    message = detail if isinstance(detail, str) else f"The server answered {status} {response.reason_phrase}."
    code = body.get("code") or ("server_error" if status >= 500 else f"http_{status}")
    return ApiError(status, code, message, retryable=status in RETRYABLE_STATUSES or status >= 500, body=body)


def error_from_transport(exc: httpx.HTTPError) -> ApiError:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return ApiError(
            0, "timeout", "The server did not answer in time; your work is kept and will be sent later.", retryable=True
        )
    return ApiError(
        0,
        "network",
        f"The server cannot be reached; your work is kept and will be sent later. ({type(exc).__name__})",
        retryable=True,
    )


class ApiClient:
    """One signed-in conversation with a SafeRound server. Thread-safe.

    `timeout` bounds each wait for the server (a busy server processing photos can take a while;
    a slow uplink sends 400 KB in seconds); connecting is bounded at 5 s so a dead link shows fast.

    `on_tokens(tokens)` is called whenever tokens change (sign-in, refresh, sign-out → None),
    so the caller can keep them in the local store for offline restarts.
    """

    def __init__(
        self,
        server_url: str,
        *,
        tokens: Tokens | None = None,
        on_tokens: Callable[[Tokens | None], None] | None = None,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ):
        self.server_url = server_url.rstrip("/")
        self.language = "zh-CN"
        self.tokens = tokens
        self._on_tokens = on_tokens
        self._lock = threading.Lock()
        self.timeout = timeout
        self._transport = transport
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()  # not self._lock: requests are made while that one is held

    @property
    def _http(self) -> httpx.Client:
        """The HTTP client, made on first use (importing httpx costs a cold start a noticeable moment)."""
        if self._client is None:
            import httpx

            with self._client_lock:
                if self._client is None:
                    self._client = httpx.Client(
                        base_url=self.server_url + API_PREFIX,
                        transport=self._transport,
                        timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 5.0)),
                    )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # ---- sign-in -----------------------------------------------------------------

    def login(self, username: str, password: str) -> Tokens:
        """POST /auth/token (form). Raises ApiError 401 with the server's sentence on a wrong password."""
        response = self._send("POST", "/auth/token", data={"username": username, "password": password})
        if response.status_code != 200:
            raise error_from_response(response)
        self._set_tokens(Tokens.from_response(response.json()))
        assert self.tokens is not None
        return self.tokens

    def refresh(self) -> Tokens:
        """POST /auth/refresh with the refresh token; SessionExpired when the server refuses it."""
        with self._lock:
            current = self.tokens
            if current is None:
                raise SessionExpired("Not signed in; sign in first.")
            response = self._send("POST", "/auth/refresh", json={"refresh_token": current.refresh_token})
            if response.status_code in (401, 403):
                raise SessionExpired()
            if response.status_code != 200:
                raise error_from_response(response)
            tokens = Tokens.from_response(response.json())
            self.tokens = tokens
        if self._on_tokens:
            self._on_tokens(tokens)
        return tokens

    def forget_tokens(self) -> None:
        self._set_tokens(None)

    def logout(self) -> None:
        """POST /auth/logout, so the tokens stop working on the server too; then forget them. Offline or
        refused, the phone forgets them anyway (they expire on their own)."""
        tokens = self.tokens
        if tokens is not None and tokens.access_token:
            try:
                self._send("POST", "/auth/logout", headers={"Authorization": f"Bearer {tokens.access_token}"})
            except ApiError:
                pass
        self.forget_tokens()

    def _set_tokens(self, tokens: Tokens | None) -> None:
        with self._lock:
            self.tokens = tokens
        if self._on_tokens:
            self._on_tokens(tokens)

    # ---- calls ---------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """An authenticated call; refreshes the token before expiry and once on a 401.

        Returns the response for 2xx; raises ApiError otherwise."""
        token = self._fresh_access_token()
        response = self._send(
            method,
            path,
            params=params,
            json=json_body,
            content=content,
            data=data,
            files=files,
            headers={**(headers or {}), "Authorization": f"Bearer {token}"},
        )
        if response.status_code == 401:
            token = self.refresh().access_token
            response = self._send(
                method,
                path,
                params=params,
                json=json_body,
                content=content,
                data=data,
                files=files,
                headers={**(headers or {}), "Authorization": f"Bearer {token}"},
            )
            if response.status_code == 401:
                raise SessionExpired()
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    def get_json(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None}).json()

    def get_all(self, path: str, *, page_size: int = PAGE_SIZE, **params: Any) -> list[Any]:
        """Every item of a paged list ({items, next_cursor}), following the cursors to the last page."""
        items: list[Any] = []
        cursor = None
        while True:
            page = self.get_json(path, limit=page_size, cursor=cursor, **params)
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items

    def _fresh_access_token(self) -> str:
        tokens = self.tokens
        if tokens is None:
            raise SessionExpired("Not signed in; sign in first.")
        if not tokens.access_token or tokens.expires_at - REFRESH_MARGIN_SECONDS <= time.time():
            tokens = self.refresh()
        return tokens.access_token

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        # The server's sentences come in the app's language (codes and values come either way).
        kwargs["headers"] = {"Accept-Language": self.language, **(kwargs.get("headers") or {})}
        if method not in ("GET", "HEAD"):  # the server compares the phone's clock with its own (clock_skew)
            kwargs["headers"]["X-Device-Time"] = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
        import httpx

        try:
            return self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:  # transport failures, and answers too broken to read
            raise error_from_transport(exc) from exc
