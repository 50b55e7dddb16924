"""Settings come from the environment; the suite never reads a developer's `.env`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings


def test_a_developers_env_file_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("NHACVIEC_TIMEZONE=UTC\nTELEGRAM_BOT_TOKEN=123:from-dotenv\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.nhacviec_timezone == "Asia/Ho_Chi_Minh"
    assert settings.telegram_bot_token is None


def test_an_env_file_is_read_when_asked(tmp_path: Path) -> None:
    env = tmp_path / "deploy.env"
    env.write_text("NHACVIEC_TIMEZONE=UTC\n", encoding="utf-8")
    assert Settings(_env_file=env).nhacviec_timezone == "UTC"  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NHACVIEC_TICK_SECONDS", "abc"),
        ("NHACVIEC_REMIND_AT", "8h"),
        ("NHACVIEC_DIGEST_AT", "25:00"),
        ("NHACVIEC_REMIND_DAYS", "7,ba,1"),
        ("NHACVIEC_QUIET_HOURS", "22"),
        ("NHACVIEC_TIMEZONE", "Mars/Olympus"),
        ("NHACVIEC_QUARTER_REPORT_DAY", "40"),
        ("NHACVIEC_LOG_LEVEL", "loud"),
    ],
)
def test_a_bad_setting_stops_the_cli_naming_the_variable(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setenv(variable, value)
    assert main(["deadline", "Quý II/2022"]) == 1
    err = capsys.readouterr().err.strip()
    assert variable in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert value not in err or value in variable  # the value is not echoed (it may be a secret)
