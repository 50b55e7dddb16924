"""The console chat: `nhacviec run` with no token talks on stdin/stdout through the same handlers.

The console user is "console:NAME" (`--user NAME`, default "local"): one account per name, so an
officer's request can be approved by a manager in a second console on the same database. With no
--as/--role the account is an admin, so a newcomer can try every command (including /import
PATH) at once. Buttons show as numbered choices: type the number.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from pathlib import Path
from typing import TextIO

from bot.core.i18n import _
from bot.core.markup import plain_text
from bot.core.replies import Reply
from handlers.requests import Request
from handlers.router import Router

CONSOLE_ACCOUNT = "local"

log = logging.getLogger(__name__)


def render(reply: Reply) -> str:
    """Plain text of a reply, its buttons as numbered choices."""
    text = plain_text(reply.text)
    buttons = [b for row in reply.buttons for b in row]
    if buttons:
        text += "\n" + "\n".join(f"  {n}. {b.label}" for n, b in enumerate(buttons, 1))
        text += "\n" + _("(Gõ số để chọn)")
    return text


def missing_file(line: str) -> str | None:
    """ "/import PATH" naming no file: the one-line answer (never "send a file" for a typo)."""
    match = re.match(r"^/(?:import|nhap)\s+(.+)$", line.strip())
    if not match:
        return None
    path = Path(match.group(1).strip().strip('"'))
    if path.is_file():
        return None
    return _("Không tìm thấy tệp {path} (thư mục hiện tại: {cwd}).").format(path=path, cwd=Path.cwd())


_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


def valid_user(name: str) -> bool:
    """A console account name: ASCII letters, digits, "_", "-", "." (it is part of an address)."""
    return bool(_NAME.match(name))


def _request(line: str, account: str = CONSOLE_ACCOUNT) -> Request:
    """ "/import path/to/file.xlsx" attaches that file, as a chat upload would."""
    req = Request(
        channel="console",
        account_id=account,
        chat_id=account,
        text=line,
        display_name=account if account != CONSOLE_ACCOUNT else "console",
    )
    match = re.match(r"^/(?:import|nhap)\s+(.+)$", line.strip())
    if match:
        path = Path(match.group(1).strip().strip('"'))
        if path.is_file():
            req.text = "/import"
            req.file_name = path.name
            req.file_size = path.stat().st_size

            async def load() -> bytes:
                return path.read_bytes()

            req.load_file = load
    return req


async def run_console(
    router: Router,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    *,
    intro: str = "",
    account: str = CONSOLE_ACCOUNT,
) -> None:
    print(
        _(
            "Nhắc Việc — trò chuyện trên console (chưa có TELEGRAM_BOT_TOKEN / ZALO_BOT_TOKEN). Gõ /help; Ctrl-D để thoát."
        ),
        file=stdout,
        flush=True,
    )
    if intro:
        print(intro, file=stdout, flush=True)
    loop = asyncio.get_running_loop()
    while True:
        print("> ", end="", file=stdout, flush=True)
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            print(file=stdout)
            return
        if not line.strip():
            continue
        missing = missing_file(line)
        if missing is not None:
            print(missing, file=stdout, flush=True)
            continue
        try:
            replies = await router.handle(_request(line.rstrip("\n"), account))
        except Exception:  # the router answers every fault itself; this is the last net
            log.exception("console turn failed")
            replies = [Reply([_("Xin lỗi, đã có lỗi khi xử lý yêu cầu. Vui lòng thử lại sau.")])]
        for reply in replies:
            prefix = f"[→ {reply.to}] " if reply.to and reply.to != f"console:{account}" else ""
            print(prefix + render(reply), file=stdout, flush=True)
