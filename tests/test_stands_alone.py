"""The repository stands alone (issue 22): no file names a folder beside it or a path of the
machine it was developed on (CHANGELOG.md, the project's history, may tell where data once lay)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = ("../shared", "/work/")


def test_no_file_names_a_path_outside_the_repository() -> None:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    offenders = []
    for name in listed.stdout.splitlines():
        path = ROOT / name
        if name == "CHANGELOG.md" or name == Path(__file__).relative_to(ROOT).as_posix() or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:4096]:
            continue  # binary (models, catalogs, images)
        text = data.decode("utf-8", errors="replace")
        offenders += [f"{name}: {needle}" for needle in OUTSIDE if needle in text]
    assert offenders == []
