"""Two real `nhacviec run` webhook workers on one database (issue 30), PostgreSQL and SQLite.

The stand-in Bot API takes the replies; `tests/fakes/webhooks.py` plays Telegram behind a load
balancer: it delivers the same update to both workers, splits one chat's updates across them,
and keeps delivering when one is killed (SIGKILL); on PostgreSQL the traffic after the kill goes
through docker/Caddyfile run by Debian's caddy, which sends it around the dead worker. Updates are "/id" in group chats, so every
answer quotes the message it answers (reply_parameters): each update's answers can be counted
and ordered exactly. Run with -s for the figures.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx

from tests.fakes.telegram_api import FakeTelegramAPI, Faults
from tests.fakes.webhooks import Deliveries
from tests.test_crash_resilience import Runs, environment

ROOT = Path(__file__).resolve().parents[1]
SECRET = "webhook-secret-of-the-workers-test"
BOT_USERNAME = "nhacviec_test_bot"


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports (held together while they are found)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def answers(api: FakeTelegramAPI) -> Counter[tuple[int, int]]:
    """Answers accepted by the stand-in, per (chat, message answered)."""
    found: Counter[tuple[int, int]] = Counter()
    for call in api.calls("sendMessage"):
        quoted = call.params.get("reply_parameters")
        if call.ok and isinstance(quoted, dict) and quoted.get("message_id"):
            found[(int(call.params["chat_id"]), int(quoted["message_id"]))] += 1
    return found


def answered_order(api: FakeTelegramAPI, chat: int) -> list[int]:
    """The messages of `chat` in the order their answers arrived (first answer of each)."""
    order: list[int] = []
    for call in api.calls("sendMessage"):
        quoted = call.params.get("reply_parameters")
        if call.ok and int(call.params["chat_id"]) == chat and isinstance(quoted, dict):
            if int(quoted["message_id"]) not in order:
                order.append(int(quoted["message_id"]))
    return order


def group_update(api: FakeTelegramAPI, chat: int, user: int = 7) -> dict:
    return api.make_user_update(user, "/id", chat_id=chat, chat_type="group")


def keys_of(*groups: list[dict]) -> set[tuple[int, int]]:
    return {(u["message"]["chat"]["id"], u["message"]["message_id"]) for group in groups for u in group}


async def wait_answered(api: FakeTelegramAPI, keys: set[tuple[int, int]], timeout: float) -> float:
    started = time.monotonic()
    await api.wait_for(lambda: keys <= set(answers(api)), timeout=timeout)
    return time.monotonic() - started


async def ready(port: int, timeout: float = 30.0) -> None:
    async with httpx.AsyncClient() as http:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker on {port} not ready")
            await asyncio.sleep(0.1)


async def start_proxy(tmp: Path, ports: list[int], runs: Runs) -> str | None:
    """docker/Caddyfile run by Debian's caddy in front of the workers (as in docker/compose.yaml);
    its URL, or None where caddy is not installed (.ci/run installs it where it can)."""
    caddy = shutil.which("caddy")
    if caddy is None:
        print("\n[issue30] caddy not installed: the proxy part is skipped")
        return None
    hook, board = free_ports(2)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "XDG_DATA_HOME": str(tmp / "caddy-data"),
        "XDG_CONFIG_HOME": str(tmp / "caddy-config"),
        "SITE_ADDRESS": f"http://127.0.0.1:{hook}",  # plain HTTP: no certificate made for an address
        "DASHBOARD_ADDRESS": f"http://127.0.0.1:{board}",
        "BOT_WEBHOOKS": " ".join(f"127.0.0.1:{port}" for port in ports),
        "BOT_DASHBOARDS": " ".join(f"127.0.0.1:{port}" for port in ports),
    }
    log = tmp / "caddy.log"
    runs.procs.append(
        subprocess.Popen(
            [caddy, "run", "--config", str(ROOT / "docker" / "Caddyfile"), "--adapter", "caddyfile"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
    )
    await ready(hook)  # /readyz through the proxy
    return f"http://127.0.0.1:{hook}/tg"


def report(name: str, **figures: object) -> None:
    print(f"\n[issue30] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


async def test_two_webhook_workers_share_one_database(tmp_path: Path, db_url: str) -> None:
    backend = db_url.partition(":")[0].partition("+")[0]
    async with FakeTelegramAPI(bot_username=BOT_USERNAME) as api:
        ports = free_ports(2)
        env = environment(
            api,
            db_url,
            TELEGRAM_WEBHOOK_URL="http://127.0.0.1:9/tg",  # the balancer's address Telegram is given
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            NHACVIEC_LEASE_SECONDS="1",
            NHACVIEC_LOG_LEVEL="INFO",
        )
        runs = Runs(tmp_path, env)
        hooks = Deliveries([f"http://127.0.0.1:{port}/tg" for port in ports], SECRET)
        procs = []
        try:
            for port in ports:  # the first migrates the new database; then the second starts
                procs.append(runs.start(TELEGRAM_WEBHOOK_PORT=str(port)))
                await ready(port)
            await api.wait_for(lambda: len(api.calls("setWebhook")) >= 2, timeout=20)
            proxy = await start_proxy(tmp_path, ports, runs) if backend == "postgresql" else None

            # 1. The same update delivered to both workers is answered once.
            twice = [group_update(api, -1000 - n) for n in range(10)]
            for statuses in await asyncio.gather(*(hooks.to_all(u) for u in twice)):
                assert statuses == [200, 200]
            await wait_answered(api, keys_of(twice), timeout=20)

            # 2. Each chat's updates split across the workers: answered once each, in order.
            # (Four a chat: the bot sends at most 4 messages a group per 15 s, under Telegram's 20 a minute.)
            chats = [-2000 - n for n in range(3)]
            split: dict[int, list[dict]] = {chat: [] for chat in chats}
            for turn in range(4):
                for index, chat in enumerate(chats):
                    update = group_update(api, chat)
                    split[chat].append(update)
                    assert await hooks.deliver(update, to=(turn + index) % 2) == (turn + index) % 2
            await wait_answered(api, keys_of(*split.values()), timeout=20)
            for chat, updates in split.items():
                assert answered_order(api, chat) == [u["message"]["message_id"] for u in updates]

            # 3. kill -9: worker 0 acknowledged four chats' updates and is slow to send them (each
            # answer comes 0.3 s after delivery); it dies once two are out; worker 1 takes the rest.
            api.faults = Faults(delay=0.3)
            chats = [-3000 - n for n in range(4)]
            held = {chat: [group_update(api, chat) for _ in range(3)] for chat in chats}
            for updates in zip(*held.values(), strict=True):
                for update in updates:
                    assert await hooks.post(update, 0) == 200  # kept before acknowledged
            await api.wait_for(lambda: sum(len(answered_order(api, c)) for c in chats) >= 2, timeout=20)
            procs[0].send_signal(signal.SIGKILL)
            procs[0].wait(timeout=10)
            hooks.alive[0] = False
            killed = time.monotonic()
            api.faults = None
            later = [group_update(api, -4000 - n) for n in range(6)]  # new traffic meanwhile
            if proxy is not None:  # through the compose file's proxy: it sends around the dead worker
                async with httpx.AsyncClient(timeout=20) as http:
                    for update in later:
                        answer = await http.post(proxy, json=update, headers={hooks.header: SECRET})
                        assert answer.status_code == 200, answer.text
            else:
                for update in later:
                    assert await hooks.deliver(update) == 1
            await wait_answered(api, keys_of(*held.values(), later), timeout=30)
            took = time.monotonic() - killed
            await asyncio.sleep(1.0)  # nothing more may arrive
            counts = answers(api)
            repeated = sum(n - 1 for n in counts.values())
            report(
                f"two workers, {backend}",
                answered=len(counts),
                duplicates=repeated,
                all_answered_after_kill_s=round(took, 1),
            )
            for chat, updates in held.items():
                assert answered_order(api, chat) == [u["message"]["message_id"] for u in updates]
            # Only answers in flight at the kill (delivered, their mark not yet written) may repeat:
            # at most one a chat, and none elsewhere.
            assert repeated <= len(chats)
            assert all(n == 1 for key, n in counts.items() if key[0] not in held)
            assert took < 15  # lease 1 s: taken over within ~1.25 s

            procs[1].send_signal(signal.SIGTERM)
            assert procs[1].wait(timeout=30) == 0
        finally:
            await hooks.close()
            runs.stop_all()
    errors = runs.errors()
    assert "Traceback" not in errors, errors
    assert SECRET not in errors
