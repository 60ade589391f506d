"""Phone sync over loopback: one officer's week, a week worked offline then synced once, 50 phones at once.

Each phone is the real thing — its own data dir, SQLite store, outbox and SyncEngine — and
pushes to a real SafeRound server process. The same requests (same bytes, same count, same
concurrency) are then sent to a trivial endpoint that only reads the body (uvicorn, in a process
of its own, like the server). The figure is the ratio sync seconds ÷ trivial seconds: what
SafeRound costs on top of moving the bytes, which a noisy machine moves much less than either time.

    .venv/bin/python bench/sync.py [--phones 50] [--fleet-photos 3] [--photo-kb 400]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mobile.services import Phone  # noqa: E402
from rulebook.categories import CATEGORIES
from tests.live_server import LiveServer, free_port  # noqa: E402
from tests.mobile.week import work_a_week_offline  # noqa: E402

TRIVIAL_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b"{}"})
"""


# ---- building the phones' work -------------------------------------------------------------------


class PhotoMaker:
    """Camera-like sources at 1600×1200 whose JPEG (quality 85) is about `kb` kilobytes, each unique."""

    def __init__(self, folder: Path, kb: int):
        self.folder = folder
        self.seq = 0
        self.lock = threading.Lock()
        size = (1600, 1200)
        gradient = Image.linear_gradient("L").resize(size).convert("RGB")
        # More noise, more bytes: pick the blend that lands near the target size.
        for alpha in (0.15, 0.25, 0.35, 0.45, 0.6, 0.75):
            base = Image.blend(gradient, Image.effect_noise(size, 60).convert("RGB"), alpha)
            probe = folder / "probe.jpg"
            base.save(probe, "JPEG", quality=85)
            if probe.stat().st_size >= kb * 1000:
                break
        self.base = base

    def source(self) -> Path:
        with self.lock:
            self.seq += 1
            n = self.seq
        image = self.base.copy()
        rng = random.Random(n)
        image.paste(
            (rng.randrange(256), rng.randrange(256), rng.randrange(256)),
            (rng.randrange(1500), rng.randrange(1100), 100 + rng.randrange(100), 100 + rng.randrange(100)),
        )
        path = self.folder / f"camera-{n}.bmp"  # uncompressed: the phone's downscale/encode does the JPEG work
        image.save(path)
        return path


def do_inspection(
    phone: Phone, site_id: str, category: str, photos: PhotoMaker, fail: int, scene: bool
) -> tuple[str, list[str]]:
    run = phone.start_run(site_id, category)
    for index, item in enumerate(run.applicable_items()):
        if index < fail:
            phone.save_answer(
                run, item["id"], "fail", note="现场发现问题", photo_ids=[phone.add_photo(photos.source(), "problem")]
            )
        elif scene and index == fail:
            phone.save_answer(run, item["id"], "pass", photo_ids=[phone.add_photo(photos.source(), "scene")])
        else:
            phone.save_answer(run, item["id"], "pass")
    phone.finish_run(run)
    return run.inspection_id, list(run.hazard_ids().values())


def officer_week(phone: Phone, sites: list[str], photos: PhotoMaker) -> None:
    """7 inspections (2 failed items with a photo each; 4 with a scene photo), a training session with
    2 photos, a fix on the spot with a verification photo: 21 photos, 30 calls."""
    hazards = []
    for n, category in enumerate(CATEGORIES):
        hazards += do_inspection(phone, sites[n % len(sites)], category, photos, fail=2, scene=n < 4)[1]
    training_photos = [phone.add_photo(photos.source(), "training") for _ in range(2)]
    phone.log_training(
        site_id=sites[0],
        held_at="2026-11-20T10:00:00+08:00",
        topics=["gas", "fire"],
        trainer="社区民警",
        attendee_count=40,
        duration_minutes=60,
        photo_ids=training_photos,
    )
    phone.record_transition(hazards[0], "fix_on_spot", photo_ids=[phone.add_photo(photos.source(), "verification")])


def phone_day(phone: Phone, sites: list[str], photos: PhotoMaker, n_photos: int) -> None:
    """One inspection with failed items (a photo each, up to n_photos - 1) plus a scene photo."""
    do_inspection(phone, sites[0], "fire", photos, fail=max(n_photos - 1, 1), scene=n_photos > 1)


# ---- measuring -----------------------------------------------------------------------------------


def requests_of(phone: Phone) -> list[tuple[str, dict]]:
    """The phone's queued calls as (method, httpx kwargs): what the trivial endpoint will receive."""
    out = []
    for row in phone.outbox.rows("pending"):
        if row.file_path:
            data = (phone.store.photos_dir / row.file_path).read_bytes()
            out.append((row.method, {"data": row.form, "files": {"file": (row.file_path, data, "image/jpeg")}}))
        else:
            out.append(
                (row.method, {"content": (row.body or "").encode(), "headers": {"Content-Type": "application/json"}})
            )
    return out


def sync_all(phones: list[Phone]) -> tuple[float, int]:
    """Every phone syncs at once, each in its own thread, as its background sync would: again after a
    timeout or 5xx until its outbox is empty. Returns (seconds, calls that needed more than one try)."""

    def one(phone: Phone) -> dict:
        for _ in range(10):
            status = phone.sync_now()
            if status["state"] == "idle" and not status["pending"]:
                break
        return status

    start = time.perf_counter()
    with ThreadPoolExecutor(len(phones)) as pool:
        statuses = list(pool.map(one, phones))
    elapsed = time.perf_counter() - start
    bad = [s for s in statuses if s["pending"] or s["needs_attention"] or s["state"] != "idle"]
    if bad:
        raise SystemExit(f"sync did not finish cleanly: {bad[0]}")
    retried = sum(1 for p in phones for r in p.outbox.rows("done") if r.attempts > 1)
    return elapsed, retried


def trivial_upload(url: str, per_phone: list[list[tuple[str, dict]]]) -> float:
    def one(calls: list[tuple[str, dict]]) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            for n, (method, kwargs) in enumerate(calls):
                client.request(method, f"/upload/{n}", **kwargs).raise_for_status()

    start = time.perf_counter()
    with ThreadPoolExecutor(len(per_phone)) as pool:
        list(pool.map(one, per_phone))
    return time.perf_counter() - start


def start_trivial_server(folder: Path) -> tuple[subprocess.Popen, str]:
    (folder / "trivial_app.py").write_text(TRIVIAL_APP)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "trivial_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=folder,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("the trivial server did not start")


def report(name: str, phones: list[Phone], server: LiveServer, trivial_url: str) -> None:
    calls = [requests_of(p) for p in phones]
    n_photos = sum(1 for c in calls for m, kw in c if "files" in kw)
    n_bytes = sum(len(kw["files"]["file"][1]) if "files" in kw else len(kw["content"]) for c in calls for m, kw in c)
    n_calls = sum(len(c) for c in calls)
    before = server.count("photo")
    in_http = [0.0]
    if len(phones) == 1:  # time spent waiting on HTTP calls, to tell the phone's own cost from the server's

        def started(request: httpx.Request) -> None:
            request.extensions["t0"] = time.perf_counter()

        def finished(response: httpx.Response) -> None:
            response.read()
            in_http[0] += time.perf_counter() - response.request.extensions["t0"]

        phones[0].api._http.event_hooks = {"request": [started], "response": [finished]}
    sync_s, retried = sync_all(phones)
    if server.count("photo") - before != n_photos:
        raise SystemExit(f"{name}: the server holds {server.count('photo') - before} new photos, expected {n_photos}")
    trivial_s = trivial_upload(trivial_url, calls)
    print(
        f"{name}: {len(phones)} phone(s), {n_calls} calls, {n_photos} photos, {n_bytes / 1e6:.1f} MB"
        + (f", {retried} calls sent again after a timeout or 5xx" if retried else "")
    )
    print(f"  sync     {sync_s:7.2f} s   {n_photos / sync_s:7.1f} photos/s   {n_bytes / 1e6 / sync_s:6.1f} MB/s")
    print(
        f"  trivial  {trivial_s:7.2f} s   {n_photos / trivial_s:7.1f} photos/s   "
        f"{n_bytes / 1e6 / trivial_s:6.1f} MB/s   (same requests to an endpoint that only reads the body)"
    )
    if in_http[0]:
        print(
            f"  phone    {sync_s - in_http[0]:7.2f} s   outside HTTP calls (outbox, SQLite, reading photo files): "
            f"{100 * (sync_s - in_http[0]) / sync_s:.0f}% of the sync"
        )
    print(f"  ratio    {sync_s / trivial_s:7.2f}   (sync ÷ trivial; lower is better)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--fleet-photos", type=int, default=3, help="photos per phone in the fleet run")
    parser.add_argument("--photo-kb", type=int, default=400, help="about this many KB per photo after downscaling")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="saferound-bench-sync-") as tmp:
        tmp = Path(tmp)
        server = LiveServer.start(tmp / "server")
        trivial, trivial_url = start_trivial_server(tmp)
        try:
            admin = server.admin()
            photos = PhotoMaker(tmp, args.photo_kb)

            def new_phone(name: str, n_sites: int) -> tuple[Phone, list[str]]:
                org = admin.org()
                sites = [admin.site(org) for _ in range(n_sites)]
                officer = admin.officer(sites)
                phone = Phone(tmp / name, server.url)
                phone.sign_in(server.url, officer.username, officer.password)
                return phone, [s["id"] for s in sites]

            t0 = time.perf_counter()
            week_phone, week_sites = new_phone("week", 2)
            officer_week(week_phone, week_sites, photos)
            print(f"(prepared one officer's week in {time.perf_counter() - t0:.1f} s)")
            report("one officer's week", [week_phone], server, trivial_url)

            # The scenario (tests/mobile/test_offline_week.py): seven days without signal, then one sync.
            t0 = time.perf_counter()
            org = admin.org()
            sites = [admin.site(org) for _ in range(2)]
            officer = admin.officer(sites)
            offline_phone = Phone(tmp / "offline-week", server.url)
            offline_phone.sign_in(server.url, officer.username, officer.password)
            work_a_week_offline(
                lambda _day: offline_phone,
                [s["id"] for s in sites],
                org["id"],
                lambda phone, kind: phone.add_photo(photos.source(), kind),
            )
            print(f"(prepared a week offline in {time.perf_counter() - t0:.1f} s)")
            report("a week offline, one sync", [offline_phone], server, trivial_url)
            offline_phone.close()

            t0 = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                fleet = list(pool.map(lambda n: new_phone(f"fleet-{n}", 1), range(args.phones)))
                list(pool.map(lambda ps: phone_day(ps[0], ps[1], photos, args.fleet_photos), fleet))
            print(f"(prepared {args.phones} phones in {time.perf_counter() - t0:.1f} s)")
            report(f"{args.phones} phones at once", [p for p, _ in fleet], server, trivial_url)
            for phone in [week_phone] + [p for p, _ in fleet]:
                phone.close()
            admin.close()
        finally:
            trivial.terminate()
            trivial.wait(10)
            server.stop()


if __name__ == "__main__":
    main()
