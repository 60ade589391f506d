"""Settings, read from SAFEROUND_* environment variables; injected, never read at import time."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.checklists.templates import default_checklists_dir


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEROUND_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None
    secret_key: str | None = Field(default=None, repr=False)
    timezone: str = "Asia/Shanghai"
    # The <category>.yaml checklists; by default the ones shipped inside the package.
    checklists_dir: Path = Field(default_factory=default_checklists_dir)

    access_token_minutes: int = 30
    refresh_token_days: int = 30
    # Sign-in throttling: free failures per (username, address) and per address, then growing delays.
    login_free_failures: int = 5
    login_free_failures_per_address: int = 30
    login_window_seconds: int = 900
    login_max_delay_seconds: int = 300
    # Argon2 cost; tests lower it, production keeps the library's defaults.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    # Password checks at once (each holds argon2_memory_kib); they run at low CPU priority.
    password_check_concurrency: int = 2

    deadline_days_red: int = 3
    deadline_days_yellow: int = 7
    deadline_days_blue: int = 15
    escalation_level2_after_days: int = 3
    escalation_interval_seconds: int = 300

    # Reports: a hazard at the same site and item within N days of an earlier one's close is a repeat; an item
    # failing at this share (percent) of a street's sites, and at least this many, is a common problem.
    repeat_window_days: int = 90
    revisit_days: int = 30  # a closed red hazard is revisited (回访) this many days after its close
    common_problem_share: int = 30
    common_problem_min_sites: int = 3
    # How often the jobs look whether last week's reports are due (from Monday 08:00 local); 0: never.
    weekly_report_interval_seconds: int = 600
    # Notifications: mail through smtp://user:password@host:port?starttls=1 from mail_from; quiet hours
    # ("22:00-07:00", deployment zone) hold messages to people back except for red hazards.
    smtp_url: str | None = Field(default=None, repr=False)
    mail_from: str = "saferound@localhost"
    quiet_hours: str | None = Field(default=None, pattern=r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$")
    console_base_url: str = "http://127.0.0.1:8000"
    notify_interval_seconds: float = 2.0
    notify_batch_size: int = 200
    notify_concurrency: int = 8
    notify_timeout_seconds: float = 10.0
    notify_run_budget_seconds: float = 20.0
    notify_backoff_base_seconds: float = 30.0
    notify_backoff_max_seconds: float = 3600.0
    notify_give_up_seconds: float = 86400.0
    deadline_warning_hours: int = 24
    # Signed requests from hotline platforms older (or newer) than this are refused as replays.
    intake_replay_window_seconds: int = 300
    # Residents' reports from a site's public page (/r/{code}): per sender address and per site, per hour;
    # each photo at most public_photo_max_bytes. The poster's QR code points at public_base_url (else the
    # console's address).
    public_reports_per_ip: int = 10
    public_reports_per_site: int = 30
    public_photo_max_bytes: int = 6 * 1024 * 1024
    public_base_url: str | None = None

    # Photos in an S3-compatible object store (MinIO, Alibaba OSS, Tencent COS…) instead of the data dir:
    # s3://bucket/prefix, with the endpoint, region and keys of the service.
    photo_store: str | None = Field(default=None, pattern=r"^s3://[^/]+(/.*)?$")
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = Field(default=None, repr=False)
    s3_secret_access_key: str | None = Field(default=None, repr=False)

    presence_far_m: float = 500.0  # an inspection farther than this from its site is flagged far_from_site
    presence_clock_skew_seconds: int = 600  # a phone clock off by more than this is flagged clock_skew
    photo_max_bytes: int = 20 * 1024 * 1024
    photo_max_pixels: int = 50_000_000
    # What decoding one image may allocate (width × height × bands × bytes per sample), and how many at once.
    photo_max_decoded_mb: int = 100
    photo_decode_concurrency: int = 2
    photo_decode_wait_seconds: float = 20
    # Notice PDFs: rendered ones kept (by notice version) up to this size; renders per user per minute.
    notice_pdf_cache_mb: int = 64
    notice_pdf_renders_per_minute: int = 6
    # JSON bodies larger than this are refused before they are read (uploads have photo_max_bytes).
    json_max_bytes: int = 2 * 1024 * 1024
    photo_display_px: int = 1600
    photo_thumb_px: int = 320
    photo_cache_seconds: int = 86400

    # The console's map tiles: "URL template|attribution", e.g. an intranet tile server
    # ("https://tiles.example/{z}/{x}/{y}.png|© City GIS"). Empty: points over a plain background.
    map_tiles: str = ""

    # Operations. /readyz fails a check that takes longer than this.
    readiness_timeout_seconds: float = 2.0
    # /metrics wants "Authorization: Bearer <token>" when set; without it, only loopback clients are answered.
    metrics_token: str | None = Field(default=None, repr=False)
    # Photo bytes stored is a sum over the photo table, recomputed at most this often (seconds).
    metrics_photo_bytes_cache_seconds: float = 60.0
    # Logs: "text" (readable, make run) or "json" (one object a line, for a log collector).
    log_format: str = Field(default="text", pattern="^(text|json)$")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'saferound.db').resolve()}"

    @property
    def photos_dir(self) -> Path:
        return self.data_dir / "photos"

    def login_throttle(self):  # type: ignore[no-untyped-def]
        from server.users.sessions import Throttle

        return Throttle(
            free_per_account_and_address=self.login_free_failures,
            free_per_address=self.login_free_failures_per_address,
            window_seconds=self.login_window_seconds,
            max_delay_seconds=self.login_max_delay_seconds,
        )

    def deadline_days(self, severity: str) -> int:
        return {
            "red": self.deadline_days_red,
            "yellow": self.deadline_days_yellow,
            "blue": self.deadline_days_blue,
        }[severity]

    def token_secret(self) -> str:
        """The signing secret: from the environment, else generated once and kept in the data dir (0600).
        A secret shorter than 32 bytes stops the start: tokens signed with it could be forged."""
        if self.secret_key:
            return _strong(self.secret_key, "SAFEROUND_SECRET_KEY")
        path = self.data_dir / "secret_key"
        if path.exists():
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
            return _strong(path.read_text().strip(), str(path))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secret)
        return secret


MIN_SECRET_BYTES = 32


class WeakSecret(RuntimeError):
    pass


def _strong(secret: str, where: str) -> str:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise WeakSecret(
            f"{where} is {len(secret.encode())} bytes; a signing secret needs at least {MIN_SECRET_BYTES} "
            "(unset it and SafeRound makes one in the data dir)."
        )
    return secret


@lru_cache
def get_settings() -> Settings:
    return Settings()
