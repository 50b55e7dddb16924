"""Reminders through a real `nhacviec run` process, across a restart: delivered once, never twice.

A plan with a task due in three days is imported; reminders go out at 00:00 with no quiet hours,
so the "3 days before" reminder is due whatever the time the test runs. Run 1 sends it; run 2
(after SIGTERM) must not send it again — and proves it ticked by reminding a user added between
the runs. Both channels, against their stand-in Bot API servers on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloAPI


def _plan(tmp: Path) -> Path:
    due = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() + timedelta(days=3)
    path = tmp / "plan.csv"
    path.write_text(
        "TT,Nhiệm vụ,Cơ quan chủ trì,Thời gian hoàn thành\n"
        f"1,Báo cáo kết quả rà soát thủ tục hành chính,Sở Tư pháp,Trước ngày {due:%d/%m/%Y}\n",
        encoding="utf-8",
    )
    return path


def _nv(env: dict[str, str], *args: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr


def _start(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err, err
    return err


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_reminder_delivered_once_across_a_restart(tmp_path: Path, channel: str) -> None:
    fake = FakeTelegramAPI() if channel == "telegram" else FakeZaloAPI()
    async with fake as api:
        env = {
            **os.environ,
            **api.env(),
            "NHACVIEC_DB": f"sqlite+aiosqlite:///{tmp_path / 'nv.db'}",
            "NHACVIEC_REMIND_AT": "00:00",
            "NHACVIEC_QUIET_HOURS": "",
            "NHACVIEC_TICK_SECONDS": "1",
            "NHACVIEC_DIGEST_AT": "23:59",
            "NHACVIEC_WORKING_DAYS": "off",  # "in three days" must not depend on today being a working day
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("ZALO_BOT_TOKEN" if channel == "telegram" else "TELEGRAM_BOT_TOKEN", None)
        first, second = ("501", "502") if channel == "telegram" else ("u501", "u502")
        _nv(env, "import", str(_plan(tmp_path)))
        _nv(env, "user", "add", f"{channel}:{first}", "--agency", "Sở Tư pháp")

        def reminders_to(chat: str) -> list[str]:
            return [
                str(c.params.get("text", ""))
                for c in api.calls("sendMessage")
                if c.ok
                and str(c.params.get("chat_id")) == chat
                and "rà soát thủ tục" in str(c.params.get("text", ""))
            ]

        run = _start(env)
        try:
            await api.wait_for(lambda: reminders_to(first) or run.poll() is not None, timeout=30)
        finally:
            _stop(run)
        assert len(reminders_to(first)) == 1

        _nv(env, "user", "add", f"{channel}:{second}", "--agency", "Sở Tư pháp")
        run = _start(env)
        try:
            # The first tick after a start is a full pass over every reminder still due: the one
            # that reaches the new user is the same pass that would have repeated the old one.
            await api.wait_for(lambda: reminders_to(second) or run.poll() is not None, timeout=30)
        finally:
            _stop(run)
        assert len(reminders_to(second)) == 1
        assert len(reminders_to(first)) == 1
