"""`nhacviec health`: the database and each configured channel's getMe; exit 0 or 1 with one line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from storage import Storage
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "777:HEALTH-SECRET"


def _health(tmp_path: Path, db: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "NHACVIEC_"))}
    env.update(
        {
            "NHACVIEC_DB": f"sqlite+aiosqlite:///{db}",
            "NHACVIEC_ENV_FILE": "",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            **extra,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "health"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


def _make_db(path: Path) -> None:
    async def create() -> None:
        storage = await Storage.open(f"sqlite+aiosqlite:///{path}")
        await storage.close()

    asyncio.run(create())


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1, done.stdout + done.stderr
    return lines[0]


def test_health_fails_when_the_database_is_gone(tmp_path: Path) -> None:
    db = tmp_path / "nhacviec.db"
    _make_db(db)
    assert _health(tmp_path, db).returncode == 0
    db.unlink()
    done = _health(tmp_path, db)
    assert done.returncode == 1
    line = _one_line(done)
    assert "cơ sở dữ liệu" in line and str(db) in line
    assert not db.exists()  # the check never creates an empty database


def test_health_fails_on_a_database_without_tables(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    db.write_bytes(b"")
    done = _health(tmp_path, db)
    assert done.returncode == 1 and "cơ sở dữ liệu" in _one_line(done)


async def test_health_asks_telegram_get_me(tmp_path: Path) -> None:
    db = tmp_path / "nhacviec.db"
    await asyncio.to_thread(_make_db, db)
    async with FakeTelegramAPI(token=TOKEN) as api:
        done = await asyncio.to_thread(_health, tmp_path, db, **api.env())
        assert done.returncode == 0, done.stderr
        assert _one_line(done).startswith("OK") and "telegram" in done.stdout
        assert api.calls("getMe")
        bad = await asyncio.to_thread(_health, tmp_path, db, **(api.env() | {"TELEGRAM_BOT_TOKEN": "778:WRONG"}))
    assert bad.returncode == 1
    line = _one_line(bad)
    assert "telegram" in line and "WRONG" not in line and "HEALTH-SECRET" not in line
