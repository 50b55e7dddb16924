"""`nhacviec run` as a real process: it answers on Telegram (the stand-in) and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "4242:RUN-TEST-SECRET"
PLAN = (
    "TT,Nhiệm vụ,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành,Kết quả/Sản phẩm\n"
    "1,Rà soát văn bản quy phạm pháp luật của tỉnh,Sở Tư pháp,,Trước ngày 15/12/2030,Báo cáo\n"
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")


def _env(tmp_path: Path, api: FakeTelegramAPI) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "NHACVIEC_"))}
    env.update(api.env())
    env.update(
        {
            "NHACVIEC_DB": f"sqlite+aiosqlite:///{tmp_path / 'nhacviec.db'}",
            "NHACVIEC_ADMINS": "telegram:1",
            "NHACVIEC_QUIET_HOURS": "",
            "NHACVIEC_LOG_LEVEL": "INFO",  # the token must not show up even there
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_nhacviec_run_answers_on_telegram_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with FakeTelegramAPI(token=TOKEN) as api:
        env = _env(tmp_path, api)
        plan = tmp_path / "ke-hoach.csv"
        plan.write_text(PLAN, encoding="utf-8")
        _cli(["import", str(plan)], env, tmp_path)
        _cli(["user", "add", "telegram:5", "--agency", "Sở Tư pháp", "--role", "officer"], env, tmp_path)

        out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
        with out.open("w") as stdout, err.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp_path, stdout=stdout, stderr=stderr
            )
        try:
            started = time.monotonic()
            await api.wait_for(lambda: api.commands(), timeout=20)  # setMyCommands: it is up
            api.add_user_message(5, "Sở Tư pháp có những việc gì?")
            answer = await api.wait_for_message(5, "Rà soát văn bản quy phạm pháp luật", timeout=10)
            answered = time.monotonic() - started
            assert "15/12/2030" in (answer.text or "")
            # Stop once the first reminder tick is over (bot/app.py does not yet wait for a running tick).
            await api.wait_for(lambda: "executed successfully" in err.read_text(), timeout=10)
            print(f"answered after {answered:.2f}s, tick done after {time.monotonic() - started:.2f}s")
        finally:
            stopping = time.monotonic()
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=15)
                print(f"stopped in {time.monotonic() - stopping:.2f}s")
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise
    printed = out.read_text() + err.read_text()
    assert code == 0, printed
    assert "Traceback" not in printed, printed
    assert "RUN-TEST-SECRET" not in printed
    assert answered < 20
