"""`nhacviec ARGS` run in process (`bot.cli.main(argv)`): what a user sees on stdout, stderr and the
exit code, without starting Python anew. Tests about processes (run, kill, signals) use real ones."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys


def nhacviec(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command line with these environment variables set (and restored afterwards)."""
    from bot.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in (*env, "TELEGRAM_BOT_TOKEN")}
    os.environ.update(env)
    if "TELEGRAM_BOT_TOKEN" not in env:
        os.environ.pop("TELEGRAM_BOT_TOKEN", None)
    real_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse refusing a wrong command line
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin = real_stdin
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return subprocess.CompletedProcess(["nhacviec", *args], code, out.getvalue(), err.getvalue())
