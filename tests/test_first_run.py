"""A newcomer's first run: the console with /demo answers with tasks on any date; no token and no
terminal is an error, not a silent console; `--as`/`--role` make the console user a member."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from bot.channels.console import CONSOLE_ACCOUNT, missing_file
from bot.core.demo import DEMO_QUESTIONS, demo_plan, template
from bot.core.markup import plain_text
from bot.settings import Settings
from handlers.context import AppContext
from handlers.first_run import console_user, sample_warning
from handlers.requests import Request
from handlers.router import Router
from storage import Storage

ROOT = Path(__file__).resolve().parents[1]
ADDRESS = f"console:{CONSOLE_ACCOUNT}"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "NHACVIEC_"))}
    env.update(
        {
            "NHACVIEC_DB": f"sqlite+aiosqlite:///{tmp_path / 'nhacviec.db'}",
            "NHACVIEC_ENV_FILE": "",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        }
    )
    return env


async def _say(router: Router, text: str) -> str:
    req = Request(channel="console", account_id=CONSOLE_ACCOUNT, chat_id=CONSOLE_ACCOUNT, text=text)
    return "\n".join(plain_text(r.text) for r in await router.handle(req))


def test_every_row_of_the_sample_is_dated_by_an_offset() -> None:
    rows = template().strip().splitlines()[1:]
    assert len(rows) >= 10
    assert all("{" in row for row in rows)
    text = demo_plan(date(2030, 3, 1)).decode()
    assert "{" not in text and "Trước ngày 17/02/2030" in text  # {-12}


@pytest.mark.parametrize("today", [date(2026, 1, 1), date(2027, 12, 31), date(2031, 7, 15), date(2044, 2, 29)])
async def test_demo_answers_the_suggested_questions_on_any_date(sqlite_url: str, today: date) -> None:
    storage = await Storage.open(sqlite_url)
    try:
        settings = Settings(_env_file=None, nhacviec_admins=ADDRESS)  # type: ignore[call-arg]
        moment = datetime.combine(today, time(9, 0), tzinfo=UTC)
        ctx = AppContext(storage=storage, settings=settings, clock=lambda: moment)
        router = Router(ctx)
        loaded = await _say(router, "/demo")
        await console_user(ctx, ADDRESS, agency="Sở Tư pháp", role="manager")
        assert "12 nhiệm vụ" in loaded
        assert DEMO_QUESTIONS[0] in loaded
        answer = await _say(router, "so tai nguyen moi truong nam nay")
        assert "Sở Tài nguyên và Môi trường" in answer
        assert "Không có việc" not in answer and "•" in answer
        assert f"{today.year}" in answer
        for question in DEMO_QUESTIONS[1:]:
            reply = await _say(router, question)
            assert "•" in reply and "Không có việc" not in reply, (question, reply)
        mine = await _say(router, "/viec")
        assert "Rà soát văn bản quy phạm pháp luật" in mine
        assert "chưa gắn với cơ quan" not in mine
        assert "trễ" in await _say(router, "/quahan")
        assert "Rà soát văn bản" in await _say(router, "/xong")
        again = await _say(router, "/demo")  # a second /demo updates, never duplicates
        assert "đã có" in again
        assert len(await storage.all_tasks()) == 12
        assert "/demo xoa" in (await sample_warning(ctx) or "")
        assert "Đồng ý?" in await _say(router, "/demo xoa")
        assert "Đã xoá kế hoạch mẫu" in await _say(router, "có")
        assert await storage.all_tasks() == [] and await sample_warning(ctx) is None
        assert "Không có kế hoạch mẫu" in await _say(router, "/demo xoa")
        assert "Không có việc" in await _say(router, "so tai nguyen moi truong nam nay")  # reloaded
    finally:
        await storage.close()


async def test_demo_is_only_for_the_console(chat) -> None:  # type: ignore[no-untyped-def]
    assert "chỉ dùng trên console" in (await chat.say("/demo"))[0]


def test_import_of_a_missing_path_says_file_not_found(tmp_path: Path) -> None:
    assert "Không tìm thấy tệp" in (missing_file(f"/import {tmp_path / 'khong-co.csv'}") or "")
    real = tmp_path / "co.csv"
    real.write_text("x", encoding="utf-8")
    assert missing_file(f"/import {real}") is None
    assert missing_file("so tu phap thang nay") is None


def test_console_session_as_an_officer_on_an_injected_date(tmp_path: Path) -> None:
    first = subprocess.run(  # the agencies come from a plan (--as never creates one)
        [sys.executable, "-m", "bot.cli", "run", "--console", "--today", "2033-12-30"],
        input="/demo\n", env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert first.returncode == 0, first.stderr
    lines = "/demo\nso tai nguyen moi truong nam nay\n/viec\n/import khong-co-tep.csv\n"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--console", "--as", "Sở Tư pháp", "--role", "officer",
         "--today", "2033-12-30"],
        input=lines, env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Bạn là cán bộ của Sở Tư pháp" in out
    assert "Đã nạp kế hoạch mẫu" in out
    assert "Số hóa hồ sơ đăng ký đất đai" in out and "31/12/2033" in out
    assert "Việc của Sở Tư pháp" in out and "chưa gắn với cơ quan" not in out
    assert "Không tìm thấy tệp khong-co-tep.csv" in out
    assert "Traceback" not in done.stderr


def test_run_without_token_nor_terminal_exits_1_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        stdin=subprocess.DEVNULL, env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0] and "ZALO_BOT_TOKEN" in lines[0] and "--console" in lines[0]


def test_console_options_need_the_console(tmp_path: Path) -> None:
    env = _env(tmp_path) | {"TELEGRAM_BOT_TOKEN": "1:x"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--as", "Sở Tư pháp"],
        stdin=subprocess.DEVNULL, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1 and "--console" in done.stderr


async def test_the_console_admin_is_not_asked_about_chat_join_requests(chat) -> None:  # type: ignore[no-untyped-def]
    """A database tried on the console first, then put on Telegram: join requests go to real admins."""
    await chat.ctx.storage.add_agency("Sở Tư pháp")
    await console_user(chat.ctx, ADDRESS, agency=None, role="admin")
    await chat.say("/start", account="telegram:9")
    await chat.say("Sở Tư pháp", account="telegram:9")
    await chat.press("Sở Tư pháp", account="telegram:9")
    asked = {address for address, reply in chat.sent if "Yêu cầu tham gia" in reply.text}
    assert asked == {"telegram:1"}
