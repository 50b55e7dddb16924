"""A province's peak on several webhook workers sharing one PostgreSQL (issue 30).

    .venv/bin/python benchmarks/workers.py [--workers 2,4] [--rates 50,200] [--seconds 20]
        [--chats 5000] [--occurrences 200000] [--kill] [--db URL] [--keep]

Seeds a database (a new one on 127.0.0.1:5432, dropped after, unless `--db`): one province,
1,000 units, 50,000 tasks with four due dates each (200,000 occurrences) spread over the year,
past ones mostly done; 5,000 approved officers, five a unit. The reminders already due are sent
once before the run (through a stand-in sender), so the workers' ticks are the steady state of
a morning: plan everything, find it claimed, send nothing.

Then for each worker count and rate: that many `nhacviec run` processes in webhook mode, the
stand-in Bot API (tests/fakes) taking their answers, and a stand-in Telegram behind a balancer
(tests/fakes/webhooks.py) pushing questions from the officers, each in a group chat of its own
with a mention ("@bot việc quá hạn", "… tuần này", "… sắp đến hạn"), spread evenly over the
seconds, round-robin over the workers. Every answer quotes the message it answers, so each
update's answer is counted and timed exactly: from the POST to the stand-in receiving the
answer's first message. `--kill`: the first worker is killed (SIGKILL) half way; the balancer
sends on to the others (a POST that fails goes to the next worker, as Telegram retries).

Printed per run: answers' p50 / p99 / max, the webhooks' acknowledgement p50 / p99, updates sent,
answered, duplicates, lost (still unanswered once answers stopped coming for 20 s), how long the
backlog took to drain after the last push, answers a second over the whole run, the workers' CPU
per answer, their reminder ticks (logged by `nhacviec run`), and the load average. First, a
full reminder pass is timed twice in a process of its own, with nothing else running. The
stand-in does not enforce Telegram's 30 messages a second and the workers' own limit is raised
(TELEGRAM_SEND_RATE): this measures the bot and the database, not Telegram's quota (README,
"A nation on many workers").
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import bindparam, delete, insert, select, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import GC_THRESHOLDS  # noqa: E402
from bot.core.domain import Kind, ParsedPlan, ParsedTask  # noqa: E402
from bot.core.replies import Reply  # noqa: E402
from bot.delivery.ports import Outbox  # noqa: E402
from bot.delivery.tick import run_tick  # noqa: E402
from bot.settings import Settings  # noqa: E402
from handlers.context import AppContext  # noqa: E402
from storage import Storage  # noqa: E402
from storage.inbox import InboxClaim, InboxUpdate  # noqa: E402
from storage.models import Occurrence, User  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402
from tests.fakes.webhooks import Deliveries  # noqa: E402

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432"
TOKEN = "4242:BENCH-WORKERS"
BOT = "nhacviec_bench_bot"
SECRET = "benchmark-webhook-secret-0123456789"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST_ACCOUNT = 100_000
QUESTIONS = ("việc quá hạn", "việc tuần này", "việc sắp đến hạn")
WORDS = "báo cáo kết quả triển khai kế hoạch cải cách hành chính chuyển đổi số hồ sơ thủ tục".split()
SETTINGS = {  # what every process of the run shares (the workers through the environment)
    "NHACVIEC_WORKING_DAYS": "off",  # plan on any day the benchmark runs
    "NHACVIEC_QUIET_HOURS": "",
    "NHACVIEC_DIGEST_AT": "23:59",
    "NHACVIEC_REMIND_AT": "00:00",
}


# -- the province ----------------------------------------------------------------------------------


async def seed(url: str, *, chats: int, occurrences: int, seed_value: int = 1) -> None:
    storage = await Storage.open(url)
    try:
        if (await storage.counts()).get("tasks", 0):
            print("database already seeded:", await storage.counts())
            return
        rng = random.Random(seed_value)
        started = time.perf_counter()
        province = await storage.add_agency("Ủy ban nhân dân tỉnh Mẫu")
        units = [f"Đơn vị số {i + 1:04d}" for i in range(1000)]
        today = datetime.now(TZ).date()
        tasks = []
        for n in range(occurrences // 4):
            dues = sorted({today + timedelta(days=rng.randint(-200, 165)) for _ in range(4)})
            title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + f" ({n})"
            tasks.append(ParsedTask(title=title, lead=units[n % len(units)], kind=Kind.ONCE, dates=dues))
        parsed = ParsedPlan(tasks=tasks, issuer="Ủy ban nhân dân tỉnh Mẫu", number="1/KH-BENCH", year=today.year)
        await storage.save_plan(parsed, {u: [(u, province)] for u in units}, issuer_id=province)
        await _results(storage, today, rng)
        await _officers(storage, chats, province)
        print(f"seeded {await storage.counts()} in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        report = await run_tick(_context(storage).delivery(), sender=_instant_outbox())
        print(f"reminders already due sent once before the run: {report.sent} in {time.perf_counter() - started:.0f} s")
    finally:
        await storage.close()


async def _results(storage: Storage, today: date, rng: random.Random) -> None:
    """Past occurrences: 97 % done (the rest overdue), a few late."""
    async with storage.db.write() as s:
        rows = (await s.execute(select(Occurrence.id, Occurrence.due).where(Occurrence.due < today))).all()
        done = [{"oid": oid, "at": datetime.combine(due, datetime.min.time(), UTC)} for oid, due in rows if rng.random() < 0.97]
        statement = update(Occurrence).where(Occurrence.id == bindparam("oid")).values(status="done", done_at=bindparam("at"))
        await (await s.connection()).execute(statement, done)


async def _officers(storage: Storage, count: int, province: int) -> None:
    units = sorted(a.id for a in await storage.agencies() if a.parent_id == province)
    now = datetime.now(UTC)
    rows = [
        {
            "channel": "telegram",
            "account_id": str(FIRST_ACCOUNT + i),
            "name": f"Cán bộ {i}",
            "agency_id": units[i % len(units)],
            "role": "officer",
            "language": "vi",
            "approved": True,
            "active": True,
            "muted": [],
            "created_at": now,
        }
        for i in range(count)
    ]
    async with storage.db.write() as s:
        await s.execute(insert(User), rows)


def _settings(**extra: object) -> Settings:
    values = {k.lower(): v for k, v in SETTINGS.items()}
    return Settings(_env_file=None, **values, **extra)  # type: ignore[arg-type]


def _context(storage: Storage) -> AppContext:
    return AppContext(storage=storage, settings=_settings())


class _Instant:
    """A channel that delivers at once (the reminders due before the run)."""

    name = "telegram"
    send_rate = 100_000.0

    async def send(self, chat_id: str, reply: Reply) -> None:
        return None


def _instant_outbox() -> Outbox:
    return Outbox([_Instant()])


# -- one run -----------------------------------------------------------------------------------------


def _free_ports(count: int) -> list[int]:
    probes = [socket.socket() for _ in range(count)]
    for probe in probes:
        probe.bind(("127.0.0.1", 0))
    ports = [int(p.getsockname()[1]) for p in probes]
    for probe in probes:
        probe.close()
    return ports


def _worker_env(api: FakeTelegramAPI, url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NHACVIEC_", "TELEGRAM_", "ZALO_"))}
    env.update(api.env())
    env.update(SETTINGS)
    env.update(
        {
            "NHACVIEC_ENV_FILE": "",
            "NHACVIEC_DB": url,
            "NHACVIEC_LOG_LEVEL": "INFO",
            "NHACVIEC_TICK_SECONDS": os.environ.get("BENCH_TICK_SECONDS", "60"),
            "TELEGRAM_WEBHOOK_URL": "http://127.0.0.1:9/tg",  # the balancer's address, never called here
            "TELEGRAM_WEBHOOK_PORT": str(port),
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_SEND_RATE": "1000",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


async def _ready(port: int, log: Path, timeout: float = 120.0) -> None:
    """Up (/readyz) and its first reminder tick done (the tasks are in its memory)."""
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            try:
                up = (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
            except httpx.HTTPError:
                up = False
            if up and "reminder tick:" in log.read_text(errors="replace"):
                return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"worker on {port} not ready; see {log}")


async def _drain(api: FakeTelegramAPI, keys: set[tuple[int, int]], *, stalled: float = 20.0) -> float:
    """Wait until every update is answered, or answers stop coming for `stalled` seconds (what is
    unanswered then is lost); the time it took after the last push."""
    started = last_progress = time.monotonic()
    answered = 0
    while True:
        now_answered = len(keys & set(_answers(api)[0]))
        if now_answered == len(keys):
            return time.monotonic() - started
        if now_answered > answered:
            answered, last_progress = now_answered, time.monotonic()
        elif time.monotonic() - last_progress > stalled:
            return time.monotonic() - started
        await asyncio.sleep(0.5)


async def _forget_pending(url: str) -> None:
    """Updates an interrupted earlier run left pending are not this run's: marked handled."""
    storage = await Storage.open(url, migrate=False)
    try:
        async with storage.db.write() as s:
            await s.execute(update(InboxUpdate).where(InboxUpdate.handled_at.is_(None)).values(handled_at=datetime.now(UTC)))
            await s.execute(delete(InboxClaim))
    finally:
        await storage.close()


def _answers(api: FakeTelegramAPI) -> tuple[dict[tuple[int, int], float], Counter[tuple[int, int]]]:
    """(first answer's time, answers) per (chat, message answered)."""
    first: dict[tuple[int, int], float] = {}
    counts: Counter[tuple[int, int]] = Counter()
    for call in api.calls("sendMessage"):
        quoted = call.params.get("reply_parameters")
        if call.ok and isinstance(quoted, dict) and quoted.get("message_id"):
            key = (int(call.params["chat_id"]), int(quoted["message_id"]))
            counts[key] += 1
            first.setdefault(key, call.at)
    return first, counts


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _push(
    api: FakeTelegramAPI,
    hooks: Deliveries,
    *,
    rate: float,
    seconds: float,
    chats: int,
    kill_at: float | None,
    kill: Callable[[], None],
) -> tuple[dict[tuple[int, int], float], list[float], float | None]:
    rng = random.Random(7)
    sent: dict[tuple[int, int], float] = {}
    acks: list[float] = []
    tasks: list[asyncio.Task[None]] = []
    killed_at: float | None = None

    async def one(update: dict) -> None:
        started = time.monotonic()
        await hooks.deliver(update)
        acks.append(time.monotonic() - started)

    begin = time.monotonic()
    total = int(rate * seconds)
    for n in range(total):
        at = begin + n / rate
        if kill_at is not None and killed_at is None and at - begin >= kill_at:
            kill()
            killed_at = time.monotonic()
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        officer = rng.randrange(chats)
        text = f"@{BOT} {rng.choice(QUESTIONS)}"
        update = api.make_user_update(FIRST_ACCOUNT + officer, text, chat_id=-(FIRST_ACCOUNT + officer), chat_type="group")
        sent[(update["message"]["chat"]["id"], update["message"]["message_id"])] = time.monotonic()
        tasks.append(asyncio.create_task(one(update)))
    await asyncio.gather(*tasks)
    return sent, acks, killed_at


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ticks(logs: list[Path]) -> list[float]:
    found = []
    for log in logs:
        found += [float(m) for m in re.findall(r"reminder tick: ([0-9.]+) s", log.read_text(errors="replace"))]
    return found


async def run_once(url: str, *, workers: int, rate: float, seconds: float, chats: int, kill: bool) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="nv-workers-"))
    # update_ids go on from run to run (the inbox drops an id it has seen: a repeat)
    with FakeTelegramAPI(token=TOKEN, bot_username=BOT, first_update_id=int(time.time() * 1000)) as api:
        ports = _free_ports(workers)
        logs = [tmp / f"worker{i}.log" for i in range(workers)]
        await _forget_pending(url)
        profile = ["-m", "cProfile", "-o", str(tmp / "worker0.prof")] if os.environ.get("PROFILE_WORKER") else []
        procs: list[subprocess.Popen[bytes]] = []
        hooks = Deliveries([f"http://127.0.0.1:{p}/tg" for p in ports], SECRET, timeout=10)
        try:
            for i, (port, log) in enumerate(zip(ports, logs, strict=True)):  # one at a time, as a rolling start
                command = [sys.executable, *(profile if i == 0 else []), "-m", "bot.cli", "run"]
                procs.append(
                    subprocess.Popen(
                        command, env=_worker_env(api, url, port), stdout=subprocess.DEVNULL, stderr=log.open("wb"), cwd=tmp
                    )
                )
                await _ready(port, log)
            load = os.getloadavg()[0]

            def kill_first() -> None:
                procs[0].send_signal(signal.SIGKILL)
                hooks.alive[0] = False

            cpu_before = [_cpu_seconds(p.pid) for p in procs]
            sent, acks, killed_at = await _push(
                api, hooks, rate=rate, seconds=seconds, chats=chats, kill_at=seconds / 2 if kill else None, kill=kill_first
            )
            drained = await _drain(api, set(sent))
            await asyncio.sleep(1.0)
            first, counts = _answers(api)
            cpu = sum(_cpu_seconds(p.pid) - b for p, b in zip(procs, cpu_before, strict=True) if p.poll() is None)
        finally:
            await hooks.close()
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    proc.kill()
    latencies = [first[k] - t for k, t in sent.items() if k in first]
    after_kill = [first[k] - t for k, t in sent.items() if k in first and killed_at and t >= killed_at - 1]
    return {
        "workers": workers,
        "rate": rate,
        "sent": len(sent),
        "answered": len([k for k in sent if k in first]),
        "duplicates": sum(n - 1 for k, n in counts.items() if k in sent),
        "lost": len([k for k in sent if k not in first]),
        "answered_per_s": round(len(first) / (seconds + drained), 1),
        "backlog_drained_after_s": round(drained, 1),
        "p50_ms": round(_pct(latencies, 0.50) * 1000),
        "p99_ms": round(_pct(latencies, 0.99) * 1000),
        "max_ms": round(max(latencies, default=0.0) * 1000),
        "ack_p50_ms": round(_pct(acks, 0.50) * 1000),
        "ack_p99_ms": round(_pct(acks, 0.99) * 1000),
        "after_kill_max_ms": round(max(after_kill) * 1000) if after_kill else None,
        "retried_posts": hooks.refused,
        # the workers' CPU during the load per answered update (a killed worker's not counted)
        "worker_cpu_ms_per_update": round(cpu * 1000 / max(1, len(first))),
        "worker_ticks_s": [round(t, 2) for t in _ticks(logs)],
        "load_at_start": round(load, 1),
        "load_at_end": round(os.getloadavg()[0], 1),
        "logs": str(tmp),
    }


# -- a full reminder pass, in a process of its own, during the load -----------------------------------


async def time_full_pass(url: str) -> dict:
    gc.set_threshold(*GC_THRESHOLDS)  # as in `nhacviec run`
    storage = await Storage.open(url, migrate=False)
    try:
        dctx = _context(storage).delivery()
        times = []
        for _ in range(2):  # the first also loads the tasks into memory
            started = time.perf_counter()
            await run_tick(dctx, sender=_instant_outbox())
            times.append(round(time.perf_counter() - started, 2))
        # the largest resident size of this process: about what a worker holds for these tasks
        rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return {"cold": times[0], "warm": times[1], "rss_mb": rss_mb}
    finally:
        await storage.close()


# -- main ---------------------------------------------------------------------------------------------


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG.replace("postgresql+asyncpg", "postgresql") + "/test")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="load", choices=["load", "tick"])
    parser.add_argument("--workers", default="2,4")
    parser.add_argument("--rates", default="50,200")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--chats", type=int, default=5000)
    parser.add_argument("--occurrences", type=int, default=200_000)
    parser.add_argument("--kill", action="store_true", help="also each run with the first worker killed half way")
    parser.add_argument("--db", help="an existing PostgreSQL URL (seeded if empty, kept)")
    parser.add_argument("--keep", action="store_true", help="keep the database made for the run")
    args = parser.parse_args()
    if args.command == "tick":
        print(json.dumps(await time_full_pass(args.db)))
        return
    name = None
    url = args.db
    if url is None:
        name = f"nv_bench_{uuid.uuid4().hex[:8]}"
        await _admin(f'CREATE DATABASE "{name}"')
        url = f"{PG}/{name}"
    try:
        await seed(url, chats=args.chats, occurrences=args.occurrences)
        # A full reminder pass (every reminder still inside the 7-day horizon derived and
        # checked against the log), in a process of its own with nothing else running.
        for _attempt in range(2):
            done = subprocess.run([sys.executable, __file__, "tick", "--db", url], capture_output=True, cwd=ROOT, timeout=600)
            print(json.dumps({"full_pass_s": json.loads(done.stdout or b"{}"), "load": round(os.getloadavg()[0], 1)}))
        for workers in (int(w) for w in args.workers.split(",")):
            for rate in (float(r) for r in args.rates.split(",")):
                for kill in ((False, True) if args.kill else (False,)):
                    result = await run_once(url, workers=workers, rate=rate, seconds=args.seconds, chats=args.chats, kill=kill)
                    print(json.dumps({"kill": kill, **result}, ensure_ascii=False), flush=True)
    finally:
        if name is not None and not args.keep:
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        elif name is not None:
            print("kept", url)


if __name__ == "__main__":
    asyncio.run(main())
