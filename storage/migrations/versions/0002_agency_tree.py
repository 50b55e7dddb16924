"""agency tree: task partners, and units merged across issuers put back under their own parent

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:30:00

Repairs what an older import could get wrong, where the data tells:
- a relative unit ("Văn phòng Sở", "Thanh tra Sở", "Phòng …") of one issuer leading tasks of
  another issuer's plan: those tasks get a unit of the same name under their plan's issuer;
- a top-level agency whose name carries its parent ("Phòng Nội vụ huyện Bình Sơn", "Văn phòng Sở
  Y tế") whose parent exists: moved under it (merged into a same-named unit already there);
- "Văn phòng HĐND và UBND huyện" cut at "và" into "Văn phòng HĐND" and a top-level "UBND huyện":
  the office gets its whole name back, and the bare "UBND huyện" (no place: no agency) loses
  those tasks (and goes when nothing else uses it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from bot.core.lang import vocabulary
from bot.core.text import fold

Agencies = dict[int, dict[str, Any]]  # id → {"name", "folded", "parent_id"}
ByKey = dict[tuple[str, int], int]  # (folded name, parent id or 0) → id

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_partners",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", "agency_id"),
    )
    with op.batch_alter_table("task_partners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_partners_agency_id"), ["agency_id"], unique=False)
    repair(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("task_partners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_partners_agency_id"))
    op.drop_table("task_partners")


def repair(conn: sa.Connection) -> None:
    """Put merged and misplaced units back in the tree (safe to run on a correct database)."""
    agencies: Agencies = {
        row.id: {"name": row.name, "folded": row.folded, "parent_id": row.parent_id}
        for row in conn.execute(sa.text("SELECT id, name, folded, parent_id FROM agencies"))
    }
    if not agencies:
        return
    by_key: ByKey = {(a["folded"], a["parent_id"] or 0): i for i, a in agencies.items()}

    def get_or_create(name: str, parent_id: int | None) -> int:
        key = (fold(name), parent_id or 0)
        if key in by_key:
            return by_key[key]
        new_id = conn.execute(
            sa.text(
                "INSERT INTO agencies (name, folded, parent_id, parent_key, aliases, created_at) "
                "VALUES (:n, :f, :p, :k, :a, :c) RETURNING id"
            ),
            {
                "n": name,
                "f": fold(name),
                "p": parent_id,
                "k": parent_id or 0,
                "a": "[]",
                "c": datetime.now(UTC),
            },
        ).scalar_one()
        agencies[new_id] = {"name": name, "folded": fold(name), "parent_id": parent_id}
        by_key[key] = new_id
        return new_id

    def under(agency_id: int, ancestor: int) -> bool:
        seen: set[int] = set()
        current: int | None = agency_id
        while current is not None and current not in seen:
            if current == ancestor:
                return True
            seen.add(current)
            current = agencies.get(current, {}).get("parent_id")
        return False

    def repoint(table: str, task_id: int, old: int, new: int) -> None:
        exists = conn.execute(
            sa.text(f"SELECT 1 FROM {table} WHERE task_id = :t AND agency_id = :a"), {"t": task_id, "a": new}
        ).first()
        if exists:
            conn.execute(
                sa.text(f"DELETE FROM {table} WHERE task_id = :t AND agency_id = :a"),
                {"t": task_id, "a": old},
            )
        else:
            conn.execute(
                sa.text(f"UPDATE {table} SET agency_id = :n WHERE task_id = :t AND agency_id = :a"),
                {"n": new, "t": task_id, "a": old},
            )

    changed = _repair_compound_offices(conn, agencies, by_key, fold)
    # 1. Relative units leading another issuer's tasks.
    rows = conn.execute(
        sa.text(
            "SELECT tl.task_id, tl.agency_id, p.issuer_id FROM task_leads tl "
            "JOIN tasks t ON t.id = tl.task_id JOIN plans p ON p.id = t.plan_id"
        )
    ).all()
    for task_id, agency_id, issuer_id in rows:
        unit = agencies.get(agency_id)
        if unit is None or issuer_id is None or unit["parent_id"] is None:
            continue
        if not vocabulary.is_relative(unit["folded"]) or under(issuer_id, unit["parent_id"]):
            continue
        own_unit = get_or_create(unit["name"], issuer_id)
        repoint("task_leads", task_id, agency_id, own_unit)
        conn.execute(
            sa.text("UPDATE tasks SET lead_id = :n WHERE id = :t AND lead_id = :o"),
            {"n": own_unit, "t": task_id, "o": agency_id},
        )
        changed = True
    # 2. Top-level names that carry their parent.
    for agency_id, agency in list(agencies.items()):
        if agency["parent_id"] is not None:
            continue
        split = vocabulary.split_parent(agency["folded"])
        if split is None:
            continue
        index, kind, level = split
        words = agency["name"].replace(",", " ").split()
        if len(words) != len(vocabulary.compact_words(agency["folded"]).split()):
            continue
        head, tail = words[:index], words[index:]
        parent_name = " ".join(tail) if not level else "UBND " + " ".join(tail)
        parent_id = by_key.get((fold(parent_name), 0))
        if parent_id is None:
            continue  # the parent is not known: nothing tells where it belongs
        own = " ".join(head)
        if fold(own) in ("van phong", "thanh tra"):
            own = (
                f"{own} {tail[0]}"
                if kind == "so"
                else (f"{own} {' '.join(tail[: len(level.split())])}" if level else own)
            )
        target = by_key.get((fold(own), parent_id))
        if target is None:
            conn.execute(
                sa.text(
                    "UPDATE agencies SET name = :n, folded = :f, parent_id = :p, parent_key = :p WHERE id = :i"
                ),
                {"n": own, "f": fold(own), "p": parent_id, "i": agency_id},
            )
            by_key.pop((agency["folded"], 0), None)
            by_key[(fold(own), parent_id)] = agency_id
            agency.update(name=own, folded=fold(own), parent_id=parent_id)
        else:
            merge(conn, agency_id, target)
            agencies.pop(agency_id)
            by_key.pop((agency["folded"], 0), None)
        changed = True
    if changed:
        updated = conn.execute(sa.text("UPDATE meta SET value = value + 1 WHERE key = 'agencies_rev'"))
        if not updated.rowcount:
            conn.execute(sa.text("INSERT INTO meta (key, value) VALUES ('agencies_rev', 1)"))


def _repair_compound_offices(
    conn: sa.Connection, agencies: Agencies, by_key: ByKey, fold: Callable[[str | None], str]
) -> bool:
    compound = re.compile(
        r"v[aă]n ph[oò]ng h[dđ]nd v[aà] ubnd(?: (?:huy[eệ]n|th[aà]nh ph[oố]|th[iị] x[aã]))?", re.I
    )
    bare = {
        i
        for i, a in agencies.items()
        if a["folded"] in ("ubnd huyen", "ubnd thanh pho", "ubnd thi xa") and a["parent_id"] is None
    }
    offices = {i for i, a in agencies.items() if a["folded"] == "van phong hdnd"}
    if not offices:
        return False
    rows = conn.execute(
        sa.text("SELECT t.id, t.lead_text, tl.agency_id FROM tasks t JOIN task_leads tl ON tl.task_id = t.id")
    ).all()
    leads: dict[int, tuple[str, set[int]]] = {}
    for task_id, lead_text, agency_id in rows:
        leads.setdefault(task_id, (lead_text or "", set()))[1].add(agency_id)
    changed = False
    for task_id, (lead_text, ids) in leads.items():
        match = compound.search(lead_text)
        office = next(iter(ids & offices), None)
        if match is None or office is None:
            continue
        name = match.group()
        parent_id = agencies[office]["parent_id"]
        target = by_key.get((fold(name), parent_id or 0))
        if target is None:
            conn.execute(
                sa.text("UPDATE agencies SET name = :n, folded = :f WHERE id = :i"),
                {"n": name, "f": fold(name), "i": office},
            )
            by_key.pop((agencies[office]["folded"], parent_id or 0), None)
            agencies[office].update(name=name, folded=fold(name))
            by_key[(fold(name), parent_id or 0)] = office
            offices.discard(office)
        elif target != office:
            merge(conn, office, target)
            offices.discard(office)
        for wrong in ids & bare:
            conn.execute(
                sa.text("DELETE FROM task_leads WHERE task_id = :t AND agency_id = :a"),
                {"t": task_id, "a": wrong},
            )
            conn.execute(
                sa.text(
                    "UPDATE tasks SET lead_id = (SELECT MIN(agency_id) FROM task_leads WHERE task_id = :t) "
                    "WHERE id = :t AND lead_id = :a"
                ),
                {"t": task_id, "a": wrong},
            )
        changed = True
    for wrong in bare:
        used = any(
            conn.execute(sa.text(f"SELECT 1 FROM {table} WHERE {column} = :a"), {"a": wrong}).first()
            for table, column in (
                ("task_leads", "agency_id"),
                ("task_partners", "agency_id"),
                ("users", "agency_id"),
                ("chat_links", "agency_id"),
                ("plans", "issuer_id"),
                ("agencies", "parent_id"),
            )
        )
        if not used and changed:
            conn.execute(sa.text("DELETE FROM agencies WHERE id = :a"), {"a": wrong})
            agencies.pop(wrong, None)
    return changed


def merge(conn: sa.Connection, source: int, target: int) -> None:
    """Everything of agency `source` now belongs to `target`; `source` is deleted."""
    for table in ("task_leads", "task_partners"):
        conn.execute(
            sa.text(
                f"DELETE FROM {table} WHERE agency_id = :s AND task_id IN "
                f"(SELECT task_id FROM {table} WHERE agency_id = :t)"
            ),
            {"s": source, "t": target},
        )
        conn.execute(
            sa.text(f"UPDATE {table} SET agency_id = :t WHERE agency_id = :s"), {"s": source, "t": target}
        )
    for table, column in (
        ("tasks", "lead_id"),
        ("users", "agency_id"),
        ("chat_links", "agency_id"),
        ("plans", "issuer_id"),
    ):
        conn.execute(
            sa.text(f"UPDATE {table} SET {column} = :t WHERE {column} = :s"), {"s": source, "t": target}
        )
    conn.execute(
        sa.text("UPDATE agencies SET parent_id = :t, parent_key = :t WHERE parent_id = :s"),
        {"s": source, "t": target},
    )
    conn.execute(sa.text("DELETE FROM agencies WHERE id = :s"), {"s": source})
