"""Reminders through real `nhacviec run` processes that are killed, stopped, doubled and starved
(issue 15). The stand-in Bot API misbehaves on purpose (tests/fakes: `Faults`).

Every scenario asserts counts: every reminder delivered, copies within the documented bound
(bot/delivery/tick.py). Long waits are scaled down through settings (lease, backoff, timeout),
never slept for real in unit tests; these subprocess tests take a few seconds each.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.domain import Kind, ParsedPlan, ParsedTask
from storage import Storage
from tests.fakes.telegram_api import FakeTelegramAPI, Faults
from tests.fakes.zalo_api import FakeZaloAPI

TITLE = "Báo cáo kết quả rà soát thủ tục hành chính"
FIRST_CHAT = 5000


async def seed(url: str, count: int, channel: str = "telegram") -> None:
    """One task due in three days, `count` officers of its lead agency: `count` reminders."""
    due = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() + timedelta(days=3)
    st = await Storage.open(url)
    try:
        task = ParsedTask(title=TITLE, lead="Sở Tư pháp", kind=Kind.ONCE, dates=[due])
        await st.save_plan(ParsedPlan(tasks=[task], number="9/KH"), {"Sở Tư pháp": [("Sở Tư pháp", None)]})
        agency = (await st.agencies())[0].id
        for i in range(count):
            account = f"{FIRST_CHAT + i}" if channel == "telegram" else f"u{FIRST_CHAT + i}"
            await st.upsert_user(f"{channel}:{account}", agency_id=agency, approved=True)
    finally:
        await st.close()


def environment(api: FakeTelegramAPI | FakeZaloAPI, url: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NHACVIEC_", "ZALO_", "TELEGRAM_"))}
    env.update(api.env())
    env.update(
        {
            "NHACVIEC_DB": url,
            "NHACVIEC_REMIND_AT": "00:00",
            "NHACVIEC_QUIET_HOURS": "",
            "NHACVIEC_TICK_SECONDS": "1",
            "NHACVIEC_DIGEST_AT": "23:59",
            "NHACVIEC_WORKING_DAYS": "off",  # the test must not depend on today being a working day
            "NHACVIEC_LEASE_SECONDS": "2",
            "NHACVIEC_RETRY_SECONDS": "0.2-1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


class Runs:
    """`nhacviec run` processes of one test, their stderr kept in files (a pipe could fill up)."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp, self.env, self.logs = tmp, env, []
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, **overrides: str) -> subprocess.Popen[bytes]:
        log = self.tmp / f"run{len(self.logs)}.log"
        self.logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            env={**self.env, **overrides},
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)

    def errors(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs)


def delivered(api: FakeTelegramAPI | FakeZaloAPI) -> Counter[str]:
    """Copies of the reminder accepted by the stand-in, per chat."""
    return Counter(
        str(c.params["chat_id"])
        for c in api.calls("sendMessage")
        if c.ok and TITLE in str(c.params.get("text", ""))
    )


async def wait_count(
    api: FakeTelegramAPI | FakeZaloAPI, at_least: int, timeout: float, *, chats: int | None = None
) -> float:
    """Wait until `at_least` copies (or, with `chats`, that many distinct chats) arrived; the seconds taken."""
    start = time.monotonic()

    def reached() -> bool:
        got = delivered(api)
        return (len(got) if chats else sum(got.values())) >= (chats or at_least)

    await api.wait_for(reached, timeout=timeout)
    return time.monotonic() - start


def duplicates(api: FakeTelegramAPI | FakeZaloAPI) -> int:
    return sum(n - 1 for n in delivered(api).values())


def report(name: str, **figures: object) -> None:
    print(f"\n[issue15] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


async def test_kill_9_at_a_third_then_restart(tmp_path: Path, sqlite_url: str) -> None:
    count = 300
    await seed(sqlite_url, count)
    async with FakeTelegramAPI() as api:
        runs = Runs(tmp_path, environment(api, sqlite_url, NHACVIEC_LEASE_SECONDS="8"))
        try:
            first = runs.start()
            await wait_count(api, count // 3, timeout=60)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            at_kill = sum(delivered(api).values())
            runs.start()
            took = await wait_count(api, 0, timeout=60, chats=count)
            await asyncio.sleep(1.0)  # nothing more may arrive
            report(
                "kill -9 at a third",
                at_kill=at_kill,
                all_delivered_after_s=round(took, 1),
                duplicates=duplicates(api),
            )
            assert len(delivered(api)) == count
            assert took <= 30
            # A kill can repeat only the sends in flight at that moment (≤ SEND_CONCURRENCY, 30);
            # measured 0–1 on a quiet machine, up to 10 with the two cores busy (README).
            assert duplicates(api) <= 30
        finally:
            runs.stop_all()
        assert "Traceback" not in runs.errors()


@pytest.mark.parametrize(
    "signals",
    [[signal.SIGKILL] * 5, [signal.SIGKILL, signal.SIGTERM, signal.SIGKILL, signal.SIGTERM, signal.SIGKILL]],
    ids=["kill-9-x5", "kill-9-and-term"],
)
async def test_five_kills_in_a_row(tmp_path: Path, db_url: str, signals: list[signal.Signals]) -> None:
    count = 150
    await seed(db_url, count)
    async with FakeTelegramAPI() as api:
        runs = Runs(tmp_path, environment(api, db_url, NHACVIEC_LEASE_SECONDS="1"))
        try:
            for sig in signals:
                before = sum(delivered(api).values())
                proc = runs.start()
                await wait_count(api, before + 15, timeout=60)
                proc.send_signal(sig)
                code = proc.wait(timeout=30)
                assert sig == signal.SIGKILL or code == 0
            runs.start()
            took = await wait_count(api, 0, timeout=60, chats=count)
            await asyncio.sleep(1.0)
            names = "+".join(signal.Signals(s).name for s in signals)
            report(
                f"5 stops in a row ({names}, {db_url.partition(':')[0]})",
                all_delivered_after_s=round(took, 1),
                duplicates=duplicates(api),
            )
            assert len(delivered(api)) == count
            # A kill can repeat only the sends in flight at that moment (≤ SEND_CONCURRENCY).
            assert duplicates(api) <= 5 * 30
        finally:
            runs.stop_all()


async def test_sigterm_mid_batch_finishes_in_flight_and_releases_the_rest(
    tmp_path: Path, sqlite_url: str
) -> None:
    count = 200
    await seed(sqlite_url, count)
    async with FakeTelegramAPI() as api:
        # A long lease: the restart can only send the rest if the stop released them.
        runs = Runs(tmp_path, environment(api, sqlite_url, NHACVIEC_LEASE_SECONDS="60"))
        try:
            first = runs.start()
            await wait_count(api, count // 3, timeout=60)
            first.send_signal(signal.SIGTERM)
            started = time.monotonic()
            assert first.wait(timeout=30) == 0
            stopped_in = time.monotonic() - started
            at_stop = sum(delivered(api).values())
            runs.start()
            took = await wait_count(api, 0, timeout=30, chats=count)
            await asyncio.sleep(1.0)
            report(
                "SIGTERM mid-batch",
                stopped_in_s=round(stopped_in, 1),
                at_stop=at_stop,
                rest_delivered_after_s=round(took, 1),
                duplicates=duplicates(api),
            )
            assert len(delivered(api)) == count
            assert duplicates(api) == 0
            assert took <= 20  # released claims are taken at once, not after the 60 s lease
        finally:
            runs.stop_all()
        assert "Traceback" not in runs.errors()


async def test_two_workers_while_a_batch_outlasts_the_lease(tmp_path: Path, db_url: str) -> None:
    url, db = db_url, db_url.partition(":")[0]
    count = 90
    await seed(url, count)
    async with FakeTelegramAPI() as api:
        api.faults = Faults(delay=1.5)  # each send slow (but inside the client's timeout)
        runs = Runs(tmp_path, environment(api, url, NHACVIEC_LEASE_SECONDS="1"))
        try:
            runs.start()
            runs.start()
            took = await wait_count(api, 0, timeout=90, chats=count)
            await asyncio.sleep(2.0)
            report(
                f"two workers, batch > lease ({db})",
                all_delivered_s=round(took, 1),
                duplicates=duplicates(api),
            )
            assert len(delivered(api)) == count
            assert duplicates(api) == 0
        finally:
            runs.stop_all()


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_slow_answers_after_delivery_send_at_most_two_copies(
    tmp_path: Path, sqlite_url: str, channel: str
) -> None:
    count = 20
    await seed(sqlite_url, count, channel)
    async with FakeTelegramAPI() if channel == "telegram" else FakeZaloAPI() as api:
        api.faults = Faults(delay=2.5)  # delivered, answered after the client gave up (1 s)
        runs = Runs(tmp_path, environment(api, sqlite_url, NHACVIEC_SEND_TIMEOUT_SECONDS="1"))
        try:
            runs.start()
            await wait_count(api, 0, timeout=30, chats=count)
            await asyncio.sleep(6.0)  # several backoff steps: any further copy would show
            copies = delivered(api)
            report(
                f"slow answers after delivery ({channel})",
                max_copies=max(copies.values()),
                total=sum(copies.values()),
            )
            assert len(copies) == count
            assert max(copies.values()) <= 2
        finally:
            runs.stop_all()


@pytest.mark.parametrize(
    "fault,outage",
    [
        (Faults(status=500), 6.0),  # a 30-minute outage, scaled (backoff cap 300 s → 1 s)
        (Faults(status=429, retry_after=1), 4.0),  # a 429 storm
        # Bursts that hit each reminder once: a reset or a timeout leaves the outcome unknown,
        # and an unknown outcome is resent only once (at most two copies), after a full step.
        (Faults(refuse=True, times=20), 1.0),  # connection resets
        (Faults(hang=1.5, times=20), 2.0),  # timeouts (nothing delivered, no answer)
    ],
    ids=["500-outage", "429-storm", "resets", "timeouts"],
)
async def test_outages_are_retried_until_recovery(
    tmp_path: Path, sqlite_url: str, fault: Faults, outage: float
) -> None:
    count = 20
    await seed(sqlite_url, count)
    async with FakeTelegramAPI() as api:
        api.faults = Faults(**vars(fault))
        runs = Runs(tmp_path, environment(api, sqlite_url, NHACVIEC_SEND_TIMEOUT_SECONDS="1"))
        try:
            runs.start()
            if fault.times is None:
                # the outage lasts `outage` seconds from the first refused send (a loaded machine
                # may take a while to start the process)
                await api.wait_for(lambda: api.faulted > 0, timeout=30)
                await asyncio.sleep(outage)
                assert not delivered(api)
                api.faults = None
            else:  # a burst: over once every reminder met it
                await api.wait_for(lambda: api.faults is None, timeout=30)
            took = await wait_count(api, 0, timeout=30, chats=count)
            await asyncio.sleep(1.0)
            copies = delivered(api)
            report(
                f"outage {fault}", delivered_after_recovery_s=round(took, 1), max_copies=max(copies.values())
            )
            assert len(copies) == count
            # one backoff step (1 s scaled) plus the time to send them (plus the lease margin)
            assert took <= 5
            assert max(copies.values()) == 1
        finally:
            runs.stop_all()


async def test_an_import_preview_confirmed_after_a_restart_imports(tmp_path: Path, sqlite_url: str) -> None:
    from tests.conftest import EXAMPLES

    sample = EXAMPLES / "tables" / "ke-hoach-mau-2022.csv"
    async with FakeTelegramAPI() as api:
        runs = Runs(tmp_path, environment(api, sqlite_url, NHACVIEC_ADMINS="telegram:1"))
        try:
            first = runs.start()
            api.add_document(1, sample.read_bytes(), sample.name, caption="/import")
            preview = await api.wait_for_message(1, "Xem trước", timeout=30)
            first.send_signal(signal.SIGTERM)
            assert first.wait(timeout=30) == 0
            runs.start()  # a new process: the preview is in the database, not in the old one's memory
            ok = next(d for d in preview.callback_data if d.startswith("imp:ok:"))
            api.press_button(1, preview, ok)
            done = await api.wait_for_message(1, "Đã nhập kế hoạch", timeout=30)
            report("import preview confirmed after a restart", reply=repr((done.text or "")[:60]))
        finally:
            runs.stop_all()
    st = await Storage.open(sqlite_url)
    try:
        assert (await st.counts())["tasks"] == 10
    finally:
        await st.close()
