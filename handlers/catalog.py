"""The command registry assembled: every feature module's `COMMANDS` and `BUTTONS`, in /help order.

Adding a command touches one module (its `COMMANDS`); the router, /help and the per-role menus
read them here.
"""

from __future__ import annotations

from handlers import (
    access,
    conversation,
    dashboard,
    export,
    extensions,
    first_run,
    help,
    import_chat,
    onboarding,
    plans_cmds,
    results_chat,
    settings_cmds,
    tasks_cmds,
    waits,
)
from handlers.commands import Buttons, Command

_MODULES = (
    tasks_cmds,
    results_chat,
    extensions,
    export,
    dashboard,
    settings_cmds,
    import_chat,
    plans_cmds,
    onboarding,
    first_run,
    help,
    access,
    conversation,
    waits,
)
COMMANDS: tuple[Command, ...] = tuple(c for m in _MODULES for c in getattr(m, "COMMANDS", ()))
BUTTONS: dict[str, Buttons] = {
    b.payload.prefix: b for m in _MODULES for b in getattr(m, "BUTTONS", ())
}
BY_NAME: dict[str, Command] = {c.name: c for c in COMMANDS}
ALIASES: dict[str, str] = {alias: c.name for c in COMMANDS for alias in (c.name, *c.aliases)}

assert len(BY_NAME) == len(COMMANDS), "a command name declared twice"
assert len(ALIASES) == sum(1 + len(c.aliases) for c in COMMANDS), "an alias declared twice"
