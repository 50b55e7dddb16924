"""/help: the command list and example questions, in the asker's language — derived from the
command registry (`handlers.catalog`), so a command's name and help line are written once."""

from __future__ import annotations

from bot.core.domain import Role
from bot.core.i18n import _
from bot.core.markup import esc
from bot.core.replies import Reply
from handlers.commands import Command


def _registry() -> list[Command]:
    from handlers.catalog import COMMANDS  # the catalog imports every feature module, this one too

    return list(COMMANDS)


def command_descriptions() -> list[tuple[str, str]]:
    """For /help and Telegram's setMyCommands (in the current language): every listed command."""
    return [(c.name, c.help()) for c in _registry() if c.help is not None]


def menu_of(role: Role) -> list[tuple[str, str]]:
    """The command menu of a role (least role from the registry), in the current language."""
    return [(c.name, c.help()) for c in _registry() if c.help is not None and c.allowed_for(role)]


def help_reply() -> Reply:
    lines = ["<b>" + _("Nhắc Việc — các lệnh") + "</b>"]
    lines += [f"/{name} — {esc(text)}" for name, text in command_descriptions()]
    lines.append("")
    lines.append(_("Hoặc hỏi bằng lời, ví dụ:"))
    lines += [f"• {esc(x)}" for x in examples()]
    return Reply(lines)


async def _help(_turn: object, _conv: object) -> list[Reply]:
    return [help_reply()]


def examples() -> list[str]:
    return [
        _("việc của Văn phòng Sở tháng này"),
        _("Sở Tư pháp có việc gì quá hạn?"),
        _("ai chủ trì chữ ký số?"),
    ]


COMMANDS = (Command("help", _help, lambda: _("Hướng dẫn"), ("trogiup", "huongdan"), None),)
