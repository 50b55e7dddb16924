"""No secret leaves the process: a stand-in Bot API whose error pages quote the request URL
(with the token, lower-cased and URL-encoded too) must not get the token into the log, stderr
or the database (issue 16)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.core.redact import MASK, Redactor
from tests.fakes.telegram_api import FakeTelegramAPI

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_redactor_every_form() -> None:
    token = "123456789:AAHsecretPART-xyz"
    redact = Redactor([token, None, "", "pw"])  # empty and too short values are ignored
    for leaked in (token, token.lower(), token.upper(), quote(token, safe=""), "AAHsecretPART-xyz"):
        assert redact(f"GET /bot{leaked}/getMe failed") == f"GET /bot{MASK}/getMe failed"
    assert redact("a normal sentence with pw in it") == "a normal sentence with pw in it"


def _leaks(text: str, token: str) -> list[str]:
    secret = token.partition(":")[2]
    folded = text.lower()
    return [form for form in {token, secret, quote(token, safe="")} if form.lower() in folded]


def _nv(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


async def test_error_pages_quoting_the_url_leak_nothing(tmp_path: Path) -> None:
    due = datetime.now(TZ).date() + timedelta(days=3)
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "TT,Nhiệm vụ,Cơ quan chủ trì,Thời gian hoàn thành\n"
        f"1,Báo cáo kết quả rà soát thủ tục hành chính,Sở Tư pháp,Trước ngày {due:%d/%m/%Y}\n",
        encoding="utf-8",
    )
    db = tmp_path / "nv.db"
    async with FakeTelegramAPI() as api:
        token = api.token
        env = {
            **os.environ,
            "NHACVIEC_DB": f"sqlite+aiosqlite:///{db}",
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "NHACVIEC_QUIET_HOURS": "",
            # the reminder falls on today: on a weekend or a holiday it would wait for a working day
            "NHACVIEC_WORKING_DAYS": "off",
            "NHACVIEC_LOG_LEVEL": "DEBUG",
        }
        assert _nv(env, "import", str(plan)).returncode == 0
        assert _nv(env, "user", "add", "telegram:4242", "--agency", "Sở Tư pháp", "--role", "officer").returncode == 0
        page = f"Bad Gateway: upstream failed for /bot{token}/sendMessage (/bot{token.lower()}/, {quote(token, safe='')})"
        api.fail_next("sendMessage", code=502, description=page, times=20)
        now = datetime.combine(due - timedelta(days=3), datetime.min.time(), TZ).replace(hour=9)
        sent = _nv(env, "remind", "--now", now.isoformat())
        api.fail_next("getMe", code=502, description=f"Bad Gateway: /bot{token}/getMe", times=20)
        failed_start = _nv(env, "remind", "--now", now.isoformat())
    output = sent.stdout + sent.stderr + failed_start.stdout + failed_start.stderr
    assert failed_start.returncode == 1 and failed_start.stderr.strip()
    assert "Traceback" not in output
    assert not _leaks(output, token), output
    with sqlite3.connect(db) as conn:
        stored = " ".join(str(e) for (e,) in conn.execute("SELECT error FROM reminder_log"))
        everything = " ".join(
            str(value)
            for table in ("reminder_log", "users", "meta")
            for row in conn.execute(f"SELECT * FROM {table}")
            for value in row
        )
    assert stored.strip(), "the failed send was recorded"
    assert not _leaks(everything, token), stored


def test_a_second_token_in_the_same_process_is_hidden_too(caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    from bot.channels.telegram import hide_token_in_logs

    hide_token_in_logs("111111:FIRST-token-abcdef")
    hide_token_in_logs("222222:SECOND-token-ghijkl")
    with caplog.at_level(logging.WARNING, logger="telegram.Bot"):
        logging.getLogger("telegram.Bot").warning("GET /bot222222:second-TOKEN-ghijkl/getMe and /bot111111:FIRST-token-abcdef")
    assert "ghijkl" not in caplog.text.lower() and "abcdef" not in caplog.text.lower()
