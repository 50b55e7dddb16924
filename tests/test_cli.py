"""The `nhacviec` command line as a user runs it, in process (`main(argv)`), on a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import nhacviec
from tests.conftest import EXAMPLES

SAMPLE = EXAMPLES / "tables" / "ke-hoach-mau-2022.csv"


def nv(*args: str, db: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return nhacviec(*args, env={"NHACVIEC_DB": f"sqlite+aiosqlite:///{db}", "NHACVIEC_LANGUAGE": "vi"}, stdin=stdin)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "nv.db"


def test_import_dry_run_lists_ten_tasks_with_dates_and_writes_nothing(db: Path) -> None:
    out = nv("import", str(SAMPLE), "--dry-run", "--json", db=db)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert len(data["tasks"]) == 10
    first = data["tasks"][0]
    assert first["lead"] == "Sở Tài nguyên và Môi trường" and first["dates"] == ["2022-06-30"]
    assert set(data) >= {"plan", "issuer", "year", "tasks", "agencies", "warnings", "errors"}
    # the shape, pinned: the plan's one JSON shape (bot/core/importing/plan_json.py) and the save's counts
    assert list(data) == [
        "plan", "issuer", "year", "date", "period", "title", "tasks", "source_file", "source_hash",
        "ocr_text", "repaired_text", "agencies", "names", "warnings", "errors", "dry_run", "created", "added", "updated", "removed",
    ]  # fmt: skip
    assert list(first) == [
        "title", "lead", "partners", "deadline", "kind", "dates", "source", "number", "activity", "output", "note",
    ]  # fmt: skip
    assert (first["kind"], first["source"], first["number"]) == ("once", "hàng 2", "1")
    assert "Thanh tra tỉnh" in data["agencies"]
    # Nothing written: the real import still creates everything.
    real = json.loads(nv("import", str(SAMPLE), "--json", db=db).stdout)
    assert real["added"] == 10 and real["agencies"] == data["agencies"]
    assert [t["dates"] for t in real["tasks"]] == [t["dates"] for t in data["tasks"]]


def test_reimport_never_duplicates(db: Path) -> None:
    assert nv("import", str(SAMPLE), db=db).returncode == 0
    again = json.loads(nv("import", str(SAMPLE), "--json", db=db).stdout)
    assert again["added"] == 0 and again["updated"] == 10 and again["agencies"] == []


@pytest.mark.parametrize(
    "name,content",
    [
        ("empty.csv", b""),
        ("noise.xlsx", os.urandom(4096)),
        ("header.csv", "TT,Nhiệm vụ,Cơ quan chủ trì\n".encode()),
    ],
)
def test_unreadable_files_refused_in_one_line(db: Path, tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    out = nv("import", str(path), db=db)
    assert out.returncode == 1
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert not db.exists() or json.loads(nv("user", "list", "--json", db=db).stdout) == []


def test_missing_file_and_bad_command(db: Path) -> None:
    out = nv("import", "/nonexistent/plan.xlsx", db=db)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    bad = nv("frobnicate", db=db)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr


def test_bad_database_url_is_one_line(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "--db",
            "postgresql+asyncpg://nobody:secret@127.0.0.1:1/x",
            "user",
            "list",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "secret" not in out.stderr


def test_users_add_list_remove(db: Path) -> None:
    nv("import", str(SAMPLE), db=db)
    added = nv(
        "user", "add", "telegram:123", "--agency", "so tai nguyen moi truong", "--role", "manager", db=db
    )
    assert added.returncode == 0, added.stderr
    users = json.loads(nv("user", "list", "--json", db=db).stdout)
    assert users == [
        {
            "account": "telegram:123",
            "agency": "Sở Tài nguyên và Môi trường",
            "role": "manager",
            "approved": True,
            "active": True,
        }
    ]
    wrong = nv("user", "add", "telegram:9", "--agency", "Sở Tài nguyên", "--role", "boss", db=db)
    assert wrong.returncode != 0 and "Traceback" not in wrong.stderr
    assert nv("user", "remove", "telegram:123", db=db).returncode == 0
    assert nv("user", "remove", "telegram:123", db=db).returncode == 1


def test_deadline_command_single_and_batch(db: Path) -> None:
    one = json.loads(nv("deadline", "Quý II/2022", "--today", "2022-01-05", "--json", db=db).stdout)
    assert one == {"text": "Quý II/2022", "kind": "once", "dates": ["2022-06-30"]}
    lines = '{"text": "Thường xuyên", "today": "2022-01-05"}\nnot json\n{"text": "Năm 2023", "today": "2023-01-05"}\n'
    out = nv("deadline", "-", db=db, stdin=lines)
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert (
        answers[0]["kind"] == "continuous" and "error" in answers[1] and answers[2]["dates"] == ["2023-12-31"]
    )


def test_ask_json_and_batch(db: Path) -> None:
    nv("import", str(SAMPLE), db=db)
    out = nv(
        "ask",
        "so tai nguyen moi truong nam nay",
        "--agency",
        "Sở Nội vụ",
        "--today",
        "2022-05-10",
        "--json",
        db=db,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["agency"] == "Sở Tài nguyên và Môi trường"
    assert data["from"] == "2022-01-01" and data["to"] == "2022-12-31" and data["status"] == "open"
    assert [t["title"] for t in data["tasks"]] == [
        "Rà soát quy trình nội bộ giải quyết TTHC lĩnh vực đất đai",
        "Số hóa hồ sơ đăng ký đất đai",
    ]
    assert "Số hóa hồ sơ" in data["reply"]
    batch = (
        '{"text": "Sở Ngoại vụ", "agency": "Sở Nội vụ", "today": "2022-09-26"}\n{"text": "'
        + "x" * 10000
        + '"}\n'
    )
    out = nv("ask", "-", db=db, stdin=batch)
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(answers) == 2 and answers[0]["agency"] is None and answers[0]["tasks"] == []


def test_remind_dry_run_and_digest(db: Path) -> None:
    nv("import", str(SAMPLE), db=db)
    nv("user", "add", "telegram:7", "--agency", "Thanh tra tỉnh", db=db)
    out = nv("remind", "--now", "2022-12-08T08:00", "--dry-run", "--json", db=db)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [r["to"] for r in data["reminders"]] == ["telegram:7"]
    assert data["reminders"][0]["items"][0]["due"] == "2022-12-15"
    again = json.loads(nv("remind", "--now", "2022-12-08T08:00", "--dry-run", "--json", db=db).stdout)
    assert again["reminders"] == data["reminders"]  # a dry run claims nothing
    no_channel = nv("remind", "--now", "2022-12-08T08:00", db=db)
    assert no_channel.returncode == 1 and "TELEGRAM_BOT_TOKEN" in no_channel.stderr
    digest = json.loads(nv("digest", "--agency", "UBND huyện Bình Sơn", "--today", "2022-12-12", "--json", db=db).stdout)
    assert digest["agency"] == "UBND huyện Bình Sơn" and "Tổng kết công tác CCHC" in digest["reply"]
