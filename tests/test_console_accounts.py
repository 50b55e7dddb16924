"""Console accounts (issue 24 item 7): `--user NAME` is one account per name; `--as` goes through
the questions' matcher and never creates an agency."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import ConsoleOptions, console_context
from bot.channels.console import run_console
from bot.core.address import Address
from handlers.first_run import UnknownAgency, console_user
from handlers.router import Router
from storage import Storage
from tests.chat import Chat
from tests.conftest import CHAT_NOW, EXAMPLES
from tests.test_first_run import _env

SAMPLE = EXAMPLES / "tables" / "ke-hoach-mau-2022.csv"


async def test_as_resolves_without_diacritics(chat: Chat) -> None:
    await chat.load(SAMPLE)
    name = await console_user(chat.ctx, Address.of("console", "canbo"), agency="so tai nguyen moi truong", role="officer")
    assert name is not None and "Tài nguyên và Môi trường" in name


async def test_as_with_an_unknown_name_is_refused_with_the_closest(chat: Chat) -> None:
    await chat.load(SAMPLE)
    before = len(await chat.ctx.storage.agencies())
    with pytest.raises(UnknownAgency) as refused:
        await console_user(chat.ctx, Address.of("console", "canbo"), agency="Sở Tài nguyen Moi trươngg xyz", role="officer")
    assert "không tạo cơ quan mới" in str(refused.value)
    with pytest.raises(UnknownAgency):
        await console_user(chat.ctx, Address.of("console", "canbo"), agency="Sở Không Có Thật", role="officer")
    assert len(await chat.ctx.storage.agencies()) == before
    assert await chat.ctx.storage.user(Address.of("console", "canbo")) is None


async def _session(storage: Storage, settings, user: str, lines: str, **options: object) -> str:  # type: ignore[no-untyped-def]
    opts = ConsoleOptions(user=user, **options)  # type: ignore[arg-type]
    ctx = console_context(storage, settings, opts)
    ctx.clock = lambda: CHAT_NOW
    await console_user(ctx, Address.of("console", user), agency=opts.agency, role=opts.role)
    out = io.StringIO()
    await run_console(Router(ctx), io.StringIO(lines), out, account=user)
    return out.getvalue()


async def test_officer_asks_and_a_manager_approves_in_a_second_console(chat: Chat) -> None:
    await chat.load(SAMPLE)
    storage, settings = chat.ctx.storage, chat.ctx.settings
    agency = "Sở Tài nguyên và Môi trường"
    await _session(storage, settings, "lanhdao", "", agency=agency, role="manager")  # the manager exists
    officer = await _session(
        storage, settings, "canbo", "/giahan\n1\n15/08/2022\nchờ số liệu của Sở Tài chính\n", agency=agency, role="officer"
    )
    assert "Đã gửi đề nghị gia hạn" in officer
    manager = await _session(storage, settings, "lanhdao", "1\ncó\n", agency=agency, role="manager")
    assert "Đồng ý gia hạn" in manager and "Đã đồng ý gia hạn" in manager
    assert "[→ console:canbo]" in manager  # the officer is told
    users = {u.address: u for u in await storage.users()}
    assert users["console:canbo"].role.value == "officer" and users["console:lanhdao"].role.value == "manager"


def test_cli_refuses_a_typo_that_names_nothing(tmp_path: Path) -> None:
    env = _env(tmp_path)
    first = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--console", "--today", "2033-12-30"],
        input="/demo\n", env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert first.returncode == 0, first.stderr
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--console", "--user", "canbo", "--as", "Sở Tư phápp xyz", "--role", "officer"],
        input="", env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode != 0 and "không tạo cơ quan mới" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--console", "--user", "canbo", "--as", "so tu phap", "--role", "officer"],
        input="/viec\n", env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert "Tài khoản console: canbo" in ok.stdout and "cán bộ của Sở Tư pháp" in ok.stdout
