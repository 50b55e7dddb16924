"""The inbox of pushed updates (issue 30): kept once, claimed per chat, handled in order, taken over
from a dead worker — the repository on SQLite and PostgreSQL, then `InboxWorker`s sharing one database."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.settings import Settings
from handlers.context import AppContext
from handlers.inbox import MAX_TAKEOVERS, InboxWorker
from storage import Storage
from storage.inbox import KEEP

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=10)


async def live(storage: Storage, *workers: str, now: datetime = NOW) -> None:
    for worker in workers:
        await storage.heartbeat(worker, now=now, lease=LEASE)


async def keep(storage: Storage, key: int, chat: str = "telegram:1", *, seq: int | None = None) -> bool:
    kept = await storage.inbox.keep(
        "telegram", f"42:{key}", chat, key if seq is None else seq, {"update_id": key}, now=NOW
    )
    return kept.new


async def test_a_repeat_is_dropped_at_the_door(storage: Storage) -> None:
    assert await keep(storage, 1) is True
    assert await keep(storage, 1) is False  # the same update_id again (a redelivery)
    assert (await storage.inbox.keep("zalo", "42:1", "zalo:u1", 1, {}, now=NOW)).new  # another channel
    backlog = await storage.inbox.backlog()
    assert backlog.pending == 2 and backlog.oldest == NOW


async def test_one_worker_holds_a_chat_and_takes_its_updates_in_order(storage: Storage) -> None:
    await live(storage, "a", "b")
    for key in (3, 1, 2):  # arrived out of order
        await keep(storage, key)
    claimed = await storage.inbox.claim("telegram:1", worker="a", now=NOW, limit=1)
    assert claimed is not None and not claimed.taken_over
    assert [u.payload["update_id"] for u in claimed.updates] == [1]
    assert await storage.inbox.claim("telegram:1", worker="b", now=NOW) is None  # a live worker holds it
    seen = []
    pending = claimed.updates
    while pending:
        seen.append(pending[0].payload["update_id"])
        pending = await storage.inbox.finish(pending[0].id, chat="telegram:1", worker="a", now=NOW, limit=1)
        assert pending is not None
    assert seen == [1, 2, 3]
    assert await storage.inbox.handled("telegram", "42:2") == NOW
    again = await storage.inbox.claim("telegram:1", worker="b", now=NOW)  # let go: free for anyone
    assert again is not None and again.updates == []
    assert (await storage.inbox.backlog()).pending == 0


async def test_an_update_stored_while_another_worker_holds_the_chat_is_found_by_that_worker(
    storage: Storage,
) -> None:
    await live(storage, "a", "b")
    await keep(storage, 1)
    claimed = await storage.inbox.claim("telegram:1", worker="a", now=NOW, limit=1)
    assert claimed is not None
    await keep(storage, 2)  # received by worker b, which cannot claim the chat…
    assert await storage.inbox.claim("telegram:1", worker="b", now=NOW) is None
    after = await storage.inbox.finish(claimed.updates[0].id, chat="telegram:1", worker="a", now=NOW, limit=1)
    assert after is not None and [u.payload["update_id"] for u in after] == [2]  # …a finds it before letting go


async def test_the_worker_that_stores_an_update_holds_its_free_chat_at_once(storage: Storage) -> None:
    await live(storage, "a", "b")
    first = await storage.inbox.keep("telegram", "42:1", "telegram:1", 1, {"update_id": 1}, now=NOW, worker="a")
    assert first.new and first.held  # nobody held the chat: a has it, without a claim of its own
    second = await storage.inbox.keep("telegram", "42:2", "telegram:1", 2, {"update_id": 2}, now=NOW, worker="b")
    assert second.new and not second.held  # a holds it: left to a
    repeat = await storage.inbox.keep("telegram", "42:2", "telegram:1", 2, {"update_id": 2}, now=NOW, worker="b")
    assert not repeat.new and not repeat.held
    pending = await storage.inbox.pending("telegram:1")
    assert [u.payload["update_id"] for u in pending] == [1, 2]
    assert await storage.inbox.claim("telegram:1", worker="b", now=NOW) is None
    after = await storage.inbox.finish(pending[0].id, chat="telegram:1", worker="a", now=NOW, limit=1)
    assert after is not None and [u.payload["update_id"] for u in after] == [2]


async def test_a_dead_workers_chat_is_taken_over_and_its_first_update_counted(storage: Storage) -> None:
    await live(storage, "b")
    await storage.heartbeat("a", now=NOW - timedelta(minutes=5), lease=LEASE)  # lapsed: a died
    await keep(storage, 1)
    await keep(storage, 2)
    assert await storage.inbox.claim("telegram:1", worker="a", now=NOW - timedelta(minutes=5)) is not None
    assert await storage.inbox.waiting_chats(now=NOW, worker="b") == ["telegram:1"]
    taken = await storage.inbox.claim("telegram:1", worker="b", now=NOW, limit=1)
    assert taken is not None and taken.taken_over
    assert taken.updates[0].payload["update_id"] == 1 and taken.updates[0].takeovers == 1
    # a, back from the dead, can no longer mark or continue the chat
    assert await storage.inbox.finish(taken.updates[0].id, chat="telegram:1", worker="a", now=NOW) is None


async def test_waiting_chats_are_those_no_other_live_worker_holds(storage: Storage) -> None:
    await live(storage, "a", "b")
    for key, chat in ((1, "telegram:1"), (2, "telegram:2"), (3, "telegram:3")):
        await keep(storage, key, chat)
    await storage.inbox.claim("telegram:1", worker="a", now=NOW)
    await storage.inbox.claim("telegram:2", worker="b", now=NOW)
    assert await storage.inbox.waiting_chats(now=NOW, worker="b") == ["telegram:2", "telegram:3"]
    assert await storage.inbox.release(worker="a") == 1  # a clean stop lets its chats go
    assert await storage.inbox.waiting_chats(now=NOW, worker="b") == ["telegram:1", "telegram:2", "telegram:3"]


async def test_handled_keys_are_kept_two_days_then_purged(storage: Storage) -> None:
    await live(storage, "a")
    await keep(storage, 1)
    claimed = await storage.inbox.claim("telegram:1", worker="a", now=NOW)
    assert claimed is not None
    await storage.inbox.finish(claimed.updates[0].id, chat="telegram:1", worker="a", now=NOW)
    assert await storage.inbox.purge(now=NOW + KEEP - timedelta(minutes=1)) == 0
    assert await keep(storage, 1) is False  # still remembered: a late repeat is dropped
    assert await storage.inbox.purge(now=NOW + KEEP + timedelta(minutes=1)) == 1
    assert await storage.inbox.handled("telegram", "42:1") is None


# -- InboxWorker: several workers on one database ---------------------------------------------------


@dataclass
class FakeLease:
    worker: str
    seconds: float = 10.0
    lapsed: bool = False

    def alive(self) -> bool:
        return not self.lapsed


class Recorder:
    """What each worker handled, in order; `block` holds one update's turn until released."""

    def __init__(self) -> None:
        self.log: list[tuple[str, int]] = []
        self.block: dict[int, asyncio.Event] = {}
        self.started: dict[int, asyncio.Event] = {}

    def handler(self, worker: str):  # type: ignore[no-untyped-def]
        async def handle(payload: dict) -> None:
            key = int(payload["update_id"])
            self.started.setdefault(key, asyncio.Event()).set()
            if key in self.block:
                await self.block[key].wait()
            await asyncio.sleep(0.001 * (key % 3))  # turns of different lengths
            self.log.append((worker, key))

        return handle


async def start_worker(url: str, name: str, recorder: Recorder) -> tuple[Storage, InboxWorker]:
    st = await Storage.open(url)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    await st.heartbeat(name, now=datetime.now(UTC), lease=timedelta(minutes=5))
    worker = InboxWorker(AppContext(storage=st, settings=settings), FakeLease(name), sweep_seconds=0.05)
    worker.add_channel("telegram", recorder.handler(name))
    await worker.start()
    return st, worker


async def workers(url: str, names: list[str], recorder: Recorder) -> list[tuple[Storage, InboxWorker]]:
    return [await start_worker(url, name, recorder) for name in names]


async def wait_until(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


async def close(made: list[tuple[Storage, InboxWorker]]) -> None:
    for st, worker in made:
        await worker.stop(1.0)
        await st.close()


async def test_two_workers_handle_every_update_once_and_each_chat_in_order(db_url: str) -> None:
    recorder = Recorder()
    made = await workers(db_url, ["a", "b"], recorder)
    try:
        chats = [f"telegram:{n}" for n in range(1, 5)]
        for key in range(1, 31):
            chat = chats[key % len(chats)]
            for _st, worker in (made[key % 2], made[(key + 1) % 2]) if key % 5 == 0 else (made[key % 2],):
                await worker.keep("telegram", f"42:{key}", chat, key, {"update_id": key})  # 5, 10…: to both
        await wait_until(lambda: len(recorder.log) >= 30)
        await asyncio.sleep(0.2)  # nothing more comes
        keys = [key for _worker, key in recorder.log]
        assert sorted(keys) == list(range(1, 31))  # none lost, none twice
        for chat_index in range(len(chats)):
            mine = [k for k in keys if k % len(chats) == chat_index]
            assert mine == sorted(mine)  # each chat in update_id order, across both workers
        assert {w for w, _k in recorder.log} == {"a", "b"}
    finally:
        await close(made)


async def test_a_chat_held_by_a_dead_worker_is_taken_over(db_url: str) -> None:
    recorder = Recorder()
    recorder.block[1] = asyncio.Event()  # worker a will "die" inside update 1's turn
    made = await workers(db_url, ["a"], recorder)
    try:
        recorder.started[1] = asyncio.Event()
        await made[0][1].keep("telegram", "42:1", "telegram:9", 1, {"update_id": 1})
        await asyncio.wait_for(recorder.started[1].wait(), 5)  # a holds the chat
        made.append(await start_worker(db_url, "b", recorder))
        (st_a, a), (st_b, b) = made
        await b.keep("telegram", "42:2", "telegram:9", 2, {"update_id": 2})
        await asyncio.sleep(0.2)
        assert recorder.log == []  # b leaves the chat to a, which holds it
        for task in list(a._active.values()):  # a dies: its turn never ends, its claim stays
            task.cancel()
        a._stopping.set()
        await st_b.heartbeat("a", now=datetime.now(UTC) - timedelta(minutes=10), lease=timedelta(seconds=1))
        recorder.block[1].set()
        await wait_until(lambda: len(recorder.log) >= 2)
        assert recorder.log == [("b", 1), ("b", 2)]
        assert await st_b.inbox.handled("telegram", "42:1") is not None
    finally:
        await close(made)


async def test_a_clean_stop_lets_the_chats_go_at_once(db_url: str) -> None:
    recorder = Recorder()
    recorder.block[1] = asyncio.Event()
    made = await workers(db_url, ["a"], recorder)
    try:
        a = made[0][1]
        recorder.started[1] = asyncio.Event()
        await a.keep("telegram", "42:1", "telegram:9", 1, {"update_id": 1})
        await a.keep("telegram", "42:2", "telegram:9", 2, {"update_id": 2})
        await asyncio.wait_for(recorder.started[1].wait(), 5)
        made.append(await start_worker(db_url, "b", recorder))
        stopping = asyncio.create_task(a.stop(5.0))
        await asyncio.sleep(0.05)
        recorder.block[1].set()  # the turn in hand finishes and is marked; update 2 is left to b
        await stopping
        await wait_until(lambda: len(recorder.log) >= 2)
        assert recorder.log == [("a", 1), ("b", 2)]
    finally:
        await close(made)


async def test_an_update_that_kills_every_worker_is_given_up(db_url: str) -> None:
    st = await Storage.open(db_url)
    now = datetime.now(UTC)
    try:
        await st.heartbeat("d1", now=now - timedelta(hours=1), lease=timedelta(seconds=1))
        await st.heartbeat("d2", now=now - timedelta(hours=1), lease=timedelta(seconds=1))
        await st.inbox.keep("telegram", "42:2", "telegram:7", 2, {"update_id": 2}, now=now)
        await st.inbox.keep("telegram", "42:3", "telegram:7", 3, {"update_id": 3}, now=now)
        for turn in range(MAX_TAKEOVERS + 1):  # workers kept dying while handling update 2
            await st.inbox.claim("telegram:7", worker=("d1", "d2")[turn % 2], now=now)
    finally:
        await st.close()
    recorder = Recorder()
    made = await workers(db_url, ["survivor"], recorder)
    try:
        await wait_until(lambda: len(recorder.log) == 1)
        assert recorder.log == [("survivor", 3)]  # 2 is given up, the chat goes on
        assert await made[0][0].inbox.handled("telegram", "42:2") is not None
    finally:
        await close(made)


@pytest.mark.parametrize("count", [30])
async def test_many_chats_are_handled_concurrently(sqlite_url: str, count: int) -> None:
    recorder = Recorder()
    made = await workers(sqlite_url, ["a"], recorder)
    try:
        for key in range(1, count + 1):
            await made[0][1].keep("telegram", f"42:{key}", f"telegram:{key}", key, {"update_id": key})
        await wait_until(lambda: len(recorder.log) >= count)
        assert made[0][1].handled == count
    finally:
        await close(made)


async def test_turns_arriving_while_the_tasks_load_share_one_load(sqlite_url: str) -> None:
    """A worker just started: sixteen turns at once load the tasks once, not sixteen times."""
    st = await Storage.open(sqlite_url)
    try:
        ctx = AppContext(storage=st, settings=Settings(_env_file=None))  # type: ignore[call-arg]
        loads = 0
        original = st.all_tasks

        async def counted():  # type: ignore[no-untyped-def]
            nonlocal loads
            loads += 1
            await asyncio.sleep(0.05)  # a load takes a while
            return await original()

        st.all_tasks = counted  # type: ignore[method-assign]
        await asyncio.gather(*(ctx.all_tasks() for _ in range(16)))
        assert loads == 1
    finally:
        await st.close()
