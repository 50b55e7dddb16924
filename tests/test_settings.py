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
