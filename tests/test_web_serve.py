"""The dashboard's server as real processes: `nhacviec run` serves it beside the bot when
NHACVIEC_WEB_PORT is set, `nhacviec web serve` alone; both stop cleanly (issue 29)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from tests.cli import nhacviec

ROOT = Path(__file__).resolve().parents[1]
URL = re.compile(r"Trang tổng hợp: (http://127\.0\.0\.1:\d+)")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "NHACVIEC_"))}
    env.update(
        NHACVIEC_DB=f"sqlite+aiosqlite:///{tmp_path / 'nhacviec.db'}",
        NHACVIEC_ENV_FILE="",
        NHACVIEC_WEB_PORT="0",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


async def _start(args: list[str], env: dict[str, str], cwd: Path) -> tuple[asyncio.subprocess.Process, str]:
    """Start `nhacviec ARGS`; the dashboard's address from its stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=env, cwd=cwd,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    seen = []
    async with asyncio.timeout(30):
        while True:
            line = (await process.stderr.readline()).decode()
            assert line, "".join(seen)
            seen.append(line)
            if match := URL.search(line):
                return process, match.group(1)


async def test_nhacviec_run_serves_the_dashboard_and_web_gives_a_working_link(tmp_path: Path) -> None:
    process, base = await _start(["run", "--console"], _env(tmp_path), tmp_path)
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(b"/web\n")
        await process.stdin.drain()
        async with asyncio.timeout(30):
            while not (match := re.search(r"(http://127\.0\.0\.1:\d+/login/[\w-]+)", (await process.stdout.readline()).decode())):
                pass
        assert match.group(1).startswith(base)  # port 0: the link names the port the server took
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/")).status_code == 401
            assert (await client.post(match.group(1)[len(base):])).status_code == 303
            overview = await client.get("/")
            assert overview.status_code == 200 and "Tất cả cơ quan" in overview.text  # the console user is an admin
        process.stdin.close()
        async with asyncio.timeout(30):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_web_serve_alone_and_a_clean_stop_on_sigterm(tmp_path: Path) -> None:
    process, base = await _start(["web", "serve", "--port", "0"], _env(tmp_path), tmp_path)
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            page = await client.get("/overview-that-is-not-there")
            assert page.status_code == 404 and "Không có trang này" in page.text
            assert "server" not in page.headers  # uvicorn's banner is off
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            assert await process.wait() == 0
        assert process.stderr is not None
        assert "Traceback" not in (await process.stderr.read()).decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_a_port_in_use_is_one_sentence(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = nhacviec("web", "serve", "--port", str(port), env={"NHACVIEC_DB": f"sqlite+aiosqlite:///{tmp_path / 'nv.db'}"})
    assert done.returncode == 1
    assert f"Không mở được cổng web 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1
