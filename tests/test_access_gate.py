"""The one authorization gate (issue 23): every button and command that acts on a task, pressed
(or forged) by the rightful officer and manager, an officer and a manager of another agency, a
removed account, a pending account and an admin — on SQLite and PostgreSQL. What is checked is
what was stored, not only what was said."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.core.access import ROLES, SCOPES, Action, Standing, Subject, Target, access_table, decide
from bot.core.domain import Role
from bot.core.replies import Reply
from handlers.requests import Request
from tests.chat import Chat, open_chat
from tests.conftest import CHAT_NOW, REPO
from tests.test_access_noise import SAMPLE
from tests.test_cli import SAMPLE as CLI_SAMPLE
from tests.test_cli import nv

LEAD = "Công an tỉnh"  # twelve monthly occurrences in the sample plan
OTHER = "Thanh tra tỉnh"
ACTORS = {
    "officer": "telegram:5",
    "manager": "telegram:8",
    "other_officer": "telegram:6",
    "other_manager": "telegram:9",
    "removed": "telegram:7",
    "pending": "telegram:11",
    "admin": "telegram:1",
}
# What each may do to the lead agency's task (the requester of both extensions is the officer).
MAY = {
    "officer": {"done", "progress", "undo", "extension", "note", "progress_note", "extension_date"},
    "manager": {
        "done", "progress", "undo", "extension", "note", "progress_note", "extension_date",
        "approve", "reject", "reject_reason", "export", "report", "link_group",
    },
    "admin": {
        "done", "progress", "undo", "extension", "note", "progress_note", "extension_date",
        "approve", "reject", "reject_reason", "export", "report", "link_group", "archive",
    },
}  # fmt: skip


@dataclass
class World:
    chat: Chat
    occ: dict[str, int]  # which occurrence each step acts on
    ext_approve: int
    ext_reject: int
    plan_id: int


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async for chat in open_chat(db_url, now=CHAT_NOW, nhacviec_admins="telegram:1"):
        await chat.load(SAMPLE)
        st = chat.ctx.storage
        ids = {a.name: a.id for a in await st.agencies()}
        lead, other = ids[LEAD], ids[OTHER]
        people = [
            ("telegram:5", lead, "officer", True),
            ("telegram:8", lead, "manager", True),
            ("telegram:6", other, "officer", True),
            ("telegram:9", other, "manager", True),
            ("telegram:7", lead, "manager", True),
            ("telegram:11", lead, "officer", False),
        ]
        for address, agency, role, approved in people:
            await st.upsert_user(address, agency_id=agency, role=Role(role), approved=approved, active=True)
        await st.remove_user("telegram:7")  # a manager of the lead agency, removed
        task = next(t for t in await st.all_tasks() if t.lead_ids == (lead,) and len(t.occurrences) >= 8)
        occs = [o.id for o in task.occurrences]
        steps = ["done", "progress", "undo", "extension", "note", "progress_note", "extension_date"]
        occ = dict(zip(steps, occs, strict=False))
        at = CHAT_NOW - timedelta(hours=1)
        for name in ("undo", "note"):
            await st.record_result(occ[name], by="telegram:5", at=at)
        approve = await st.request_extension(
            occs[7], by="telegram:5", at=at, new_due=date(2023, 1, 5), reason="x"
        )
        reject = await st.request_extension(
            occs[7], by="telegram:5", at=at, new_due=date(2023, 1, 9), reason="y"
        )
        plan_id = (await st.plans())[0].id
        yield World(chat, occ, approve.id, reject.id, plan_id)


async def _send(chat: Chat, account: str, *, text: str = "", callback: str | None = None) -> list[Reply]:
    channel, _sep, account_id = account.partition(":")
    return await chat.router.handle(
        Request(channel=channel, account_id=account_id, chat_id=account_id, text=text, callback=callback)
    )


async def _confirmed(chat: Chat, account: str, replies: list[Reply]) -> None:
    """A destructive step asks Có / Không first (issue 24): the rightful user says Có."""
    for reply in replies:
        for row in reply.buttons:
            for button in row:
                if button.data.startswith("cf:y:"):
                    await _send(chat, account, callback=button.data)
                    return


async def _forge_wait(chat: Chat, account: str, what: str, ref: int) -> None:
    """A wait as a copied or earlier button would have left it (forged, or from before a removal)."""
    await chat.router.conv.state.wait_for(account, what, [ref, CHAT_NOW.timestamp()])


async def _outcomes(w: World, account: str) -> set[str]:
    """Press and type everything as `account`; the steps whose effect reached the database."""
    chat, st, occ = w.chat, w.chat.ctx.storage, w.occ
    done: set[str] = set()
    await _send(chat, account, callback=f"done:{occ['done']}")
    if (await st.result(occ["done"])).status == "done":  # type: ignore[union-attr]
        done.add("done")
    await _send(chat, account, callback=f"prog:{occ['progress']}")
    if (await st.result(occ["progress"])).progress_by == account:  # type: ignore[union-attr]
        done.add("progress")
    await _confirmed(chat, account, await _send(chat, account, callback=f"undo:{occ['undo']}"))
    if (await st.result(occ["undo"])).status == "open":  # type: ignore[union-attr]
        done.add("undo")
    await _send(chat, account, callback=f"ext:{occ['extension']}")
    if (await chat.router.conv.state.waiting(account) or ("",))[0] == "ext_date":
        done.add("extension")
    await chat.router.conv.state.stop_waiting(account)
    # follow-ups whose wait is forged (a copied button, or left from before a removal)
    await _forge_wait(chat, account, "done_evidence", occ["note"])
    await _send(chat, account, text="biên bản đã gửi")
    if (await st.result(occ["note"])).note == "biên bản đã gửi":  # type: ignore[union-attr]
        done.add("note")
    await _forge_wait(chat, account, "progress_note", occ["progress_note"])
    await _send(chat, account, text="đang tổng hợp số liệu")
    if (await st.result(occ["progress_note"])).progress_note == "đang tổng hợp số liệu":  # type: ignore[union-attr]
        done.add("progress_note")
    await _forge_wait(chat, account, "ext_date", occ["extension_date"])
    await _send(chat, account, text="30/12/2026 cần thêm thời gian")
    if [e for e in await st.extensions(occ["extension_date"]) if e.requested_by == account]:
        done.add("extension_date")
    await chat.router.conv.state.stop_waiting(account)
    # decisions on the officer's requests
    await _send(chat, account, callback=f"xr:{w.ext_reject}")
    if (await chat.router.conv.state.waiting(account) or ("",))[0] == "ext_reject":
        done.add("reject")
    await _forge_wait(chat, account, "ext_reject", w.ext_reject)
    await _send(chat, account, text="không lùi được")
    if (await st.extension(w.ext_reject)).status == "rejected":  # type: ignore[union-attr]
        done.add("reject_reason")
    await _confirmed(chat, account, await _send(chat, account, callback=f"xa:{w.ext_approve}"))
    if (await st.extension(w.ext_approve)).status == "approved":  # type: ignore[union-attr]
        done.add("approve")
    replies = await _send(chat, account, text=f"/baocao {LEAD}")
    if any(LEAD in r.text for r in replies):
        done.add("report")
    replies = await _send(chat, account, text=f"/xuat {LEAD}")
    if any(r.document is not None for r in replies):
        done.add("export")
    await chat.router.handle(
        Request(
            channel="telegram",
            account_id=account.partition(":")[2],
            chat_id="-77",
            text=f"/lienket {LEAD}",
            chat_type="group",
        )
    )
    if [link for link in await st.chat_links() if link.chat_id == "-77"]:
        done.add("link_group")
    await _confirmed(chat, account, await _send(chat, account, callback=f"plan:a:{w.plan_id}"))
    if any(p.archived for p in await st.plans()):
        done.add("archive")
    return done


@pytest.mark.parametrize("who", list(ACTORS))
async def test_every_button_and_command_goes_through_the_gate(world: World, who: str) -> None:
    assert await _outcomes(world, ACTORS[who]) == MAY.get(who, set())


async def test_menus_offer_nothing_of_another_agency(world: World) -> None:
    for who in ("other_officer", "other_manager", "removed", "pending"):
        for command in ("/xong", "/dangthuchien", "/giahan", "/chuaxong"):
            for reply in await _send(world.chat, ACTORS[who], text=command):
                shown = {b.data for row in reply.buttons for b in row}
                assert (
                    not {f"{k}:{o}" for k in ("done", "prog", "ext", "undo") for o in world.occ.values()}
                    & shown
                )


async def test_the_extension_hole_is_closed(world: World) -> None:
    """The reported case: an officer of another agency presses a copied /giahan button."""
    said = " ".join(
        r.text
        for r in await _send(world.chat, ACTORS["other_officer"], callback=f"ext:{world.occ['extension']}")
    )
    assert "Hạn hiện tại" not in said and "đơn vị chủ trì" in said
    assert not [r for a, r in world.chat.sent if a == ACTORS["manager"]]


async def test_the_command_line_acts_through_the_gate(world: World) -> None:
    from handlers import results

    actor = results.Actor(ACTORS["other_officer"], await world.chat.ctx.storage.user(ACTORS["other_officer"]))
    with pytest.raises(Exception, match="đơn vị chủ trì"):
        await results.mark_done(world.chat.ctx, world.occ["done"], actor)


# -- the gate itself, and the README's table ---------------------------------------------------


def test_pending_and_removed_accounts_act_on_nothing() -> None:
    for standing in (Standing.PENDING, Standing.REMOVED):
        for role in Role:
            subject = Subject("telegram:3", role, 1, standing)
            assert not any(decide(subject, a, Target(frozenset({1})), lambda i: {i}) for a in Action)


def test_nobody_decides_their_own_request() -> None:
    admin = Subject("telegram:1", Role.ADMIN, 1, Standing.ACTIVE, admin=True)
    for action in (Action.EXTENSION_APPROVE, Action.EXTENSION_REJECT):
        assert not decide(admin, action, Target(frozenset({1}), requested_by="telegram:1"), lambda i: {i})


def _readme_table() -> dict[tuple[str, str, str], str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- access-table -->")[1].split("<!-- /access-table -->")[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    marks = {"✓": "yes", "—": "no", "own": "own"}
    table = {}
    columns = [(role, scope) for role in ROLES for scope in SCOPES]
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        action = re.sub(r"`", "", cells[0])
        for (role, scope), cell in zip(columns, cells[1:], strict=True):
            table[(role, scope, action)] = marks[cell]
    return table


def test_the_readme_table_is_the_gate() -> None:
    gate = {(role, scope, action.value): v for (role, scope, action), v in access_table().items()}
    assert _readme_table() == gate


def test_the_command_lines_done_and_undone_go_through_the_gate(tmp_path: Path) -> None:
    """`nhacviec done/undone --by ACCOUNT` acts with that account's rights: another agency's
    officer, a pending account and an unknown (removed) one change nothing; the rightful one does."""
    db = tmp_path / "nv.db"
    assert nv("import", str(CLI_SAMPLE), db=db).returncode == 0
    asked = json.loads(nv("ask", "so tai nguyen moi truong nam nay", "--today", "2022-06-20", "--json", db=db).stdout)
    occ_id = str(asked["tasks"][0]["occurrence"])
    for account, agency, approved in (
        ("telegram:5", "Sở Tài nguyên và Môi trường", True),
        ("telegram:6", "Thanh tra tỉnh", True),
        ("telegram:11", "Sở Tài nguyên và Môi trường", False),
    ):
        assert nv("user", "add", account, "--agency", agency, db=db).returncode == 0
        if not approved:
            asyncio.run(_unapprove(db, account))
    for refused in ("telegram:6", "telegram:11", "telegram:77"):
        out = nv("done", occ_id, "--by", refused, db=db)
        assert out.returncode == 1, out.stdout
    out = nv("done", occ_id, "--by", "telegram:5", db=db)
    assert out.returncode == 0 and "Đã ghi nhận" in out.stdout, out.stderr
    assert nv("undone", occ_id, "--by", "telegram:6", db=db).returncode == 1
    assert nv("undone", occ_id, "--by", "telegram:5", db=db).returncode == 0


async def _unapprove(db: Path, account: str) -> None:
    from storage import Storage

    st = await Storage.open(f"sqlite+aiosqlite:///{db}")
    try:
        await st.upsert_user(account, approved=False)
    finally:
        await st.close()
