"""`nhacviec run` with ZALO_BOT_TOKEN as a user starts it: a real process against the stand-in API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES
from tests.fakes.zalo_api import FakeZaloAPI

SAMPLE = EXAMPLES / "tables" / "ke-hoach-mau-2022.csv"


def environment(api: FakeZaloAPI, db: Path) -> dict[str, str]:
    env = {
        **os.environ,
        **api.env(),
        "NHACVIEC_DB": f"sqlite+aiosqlite:///{db}",
        "NHACVIEC_ADMINS": "zalo:admin1",
        "NHACVIEC_LANGUAGE": "vi",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("TELEGRAM_BOT_TOKEN", "ZALO_WEBHOOK_URL", "ZALO_WEBHOOK_SECRET"):
        env.pop(name, None)
    return env


def nhacviec(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


async def test_run_answers_a_zalo_question_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with FakeZaloAPI() as api:
        env = environment(api, tmp_path / "nv.db")
        assert nhacviec("import", str(SAMPLE), env=env).returncode == 0
        added = nhacviec("user", "add", "zalo:u1", "--agency", "Sở Tư pháp", "--role", "officer", env=env)
        assert added.returncode == 0, added.stderr

        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            await api.wait_for(lambda: api.get_updates_calls or process.poll() is not None, timeout=20)
            assert process.poll() is None, process.communicate()[1]
            api.add_user_message("u1", "Sở Tài nguyên và Môi trường có việc gì?")
            answer = await api.wait_for_message("u1", "Số hóa hồ sơ đăng ký đất đai", timeout=15)
            assert "<b>" not in str(answer.params["text"])
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            stdout, stderr = process.communicate(timeout=20)
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr and "Traceback" not in stdout
        assert "Nhắc Việc đang chạy: zalo" in stderr
