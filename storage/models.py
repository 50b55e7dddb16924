"""Tables of Nhắc Việc (the Alembic migrations in `storage/migrations` create them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class Agency(Base):
    """A cơ quan/đơn vị. Units named relatively ("Văn phòng Sở") have the plan's issuer as parent."""

    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("folded", "parent_key", name="uq_agency_name_parent"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    folded: Mapped[str] = mapped_column(String(500), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="SET NULL"), nullable=True
    )
    # parent_id or 0: lets the unique constraint treat "no parent" as a value on every database.
    parent_key: Mapped[int] = mapped_column(Integer, default=0)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Plan(Base):
    """A plan (kế hoạch). Re-imports find it again by `identity` (issuer+number, else the file hash)."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identity: Mapped[str] = mapped_column(String(600), unique=True)
    number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    issuer_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="SET NULL"), nullable=True
    )
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_file: Mapped[str] = mapped_column(String(500), default="")
    source_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The years the plan covers ("giai đoạn 2026 - 2030"); None: its year. Archived plans send nothing.
    period_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    period_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    archived_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # A scan or an OCR'd file (issue 27): the text as OCR gave it, kept for the record, and the
    # repaired text the tasks were read from (None when nothing was repaired).
    ocr_text: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)
    repaired_text: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)

    tasks: Mapped[list[Task]] = relationship(back_populates="plan", cascade="all, delete-orphan")


class Task(Base):
    """One task of a plan; its due dates are its occurrences."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("plan_id", "key", name="uq_task_plan_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)
    number: Mapped[str] = mapped_column(String(50), default="")
    title: Mapped[str] = mapped_column(Text)
    activity: Mapped[str] = mapped_column(Text, default="")
    output: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    lead_text: Mapped[str] = mapped_column(Text, default="")
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="SET NULL"), nullable=True, index=True
    )
    partners: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(200), default="")
    # Set when a re-import no longer has the task: kept with its history, back if it returns.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    plan: Mapped[Plan] = relationship(back_populates="tasks")
    occurrences: Mapped[list[Occurrence]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="Occurrence.due"
    )


class TaskLead(Base):
    """Every lead agency of a task ("Phòng A, Trung tâm B" chủ trì together); `tasks.lead_id` is the first."""

    __tablename__ = "task_leads"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TaskPartner(Base):
    """Every coordinating agency of a task ("phối hợp"): its tasks are shown apart from those it leads."""

    __tablename__ = "task_partners"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Occurrence(Base):
    """One due date of a task: each is done, open or overdue on its own."""

    __tablename__ = "occurrences"
    __table_args__ = (UniqueConstraint("task_id", "due", name="uq_occurrence_task_due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    due: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    done_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The result's evidence, progress ("đang thực hiện") and the due date before an extension.
    original_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    file_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    file_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    file_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    progress_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    progress_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Continuous work's reporting occurrence: the first day of the period it reports on (`due` is
    # its last day); NULL for a due date of the plan. Never reminded (issue 26 item 7).
    period_start: Mapped[date | None] = mapped_column(Date, nullable=True)

    task: Mapped[Task] = relationship(back_populates="occurrences")


class User(Base):
    """An account on one channel ("telegram:123"); one person may have one per channel."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "account_id", name="uq_user_account"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    account_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), default="")
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="SET NULL"), nullable=True
    )
    role: Mapped[str] = mapped_column(String(20), default="officer")
    language: Mapped[str] = mapped_column(String(5), default="vi")
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Per-user reminder overrides (/nhacnho): lead days "7,3,1,0", hour "08:00", muted task ids.
    remind_days: Mapped[str | None] = mapped_column(String(50), nullable=True)
    remind_at: Mapped[str | None] = mapped_column(String(5), nullable=True)
    muted: Mapped[list[int]] = mapped_column(JSON, default=list)
    digest: Mapped[str | None] = mapped_column(String(10), nullable=True)  # daily | weekly | off (None: daily)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChatLink(Base):
    """A group chat linked to an agency (/lienket): that agency's reminders go there too."""

    __tablename__ = "chat_links"
    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_chat_link"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    linked_by: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Extension(Base):
    """A request to move one occurrence's due date ("xin gia hạn") and the manager's decision."""

    __tablename__ = "extensions"
    __table_args__ = (Index("ix_extensions_occurrence", "occurrence_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id", ondelete="CASCADE"))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    old_due: Mapped[date] = mapped_column(Date)
    new_due: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | approved | rejected
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)


class ReminderLog(Base):
    """Every reminder ever claimed. The unique `key` is what makes a send happen at most once."""

    __tablename__ = "reminder_log"
    __table_args__ = (Index("ix_reminder_status", "status", "claimed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    recipient: Mapped[str] = mapped_column(String(150))
    occurrence_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lead: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(20), default="claimed")  # claimed | delivered | failed | dead
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    worker: Mapped[str] = mapped_column(String(100), default="")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Issue 15: when the key was first claimed (a failed send is retried that local day only),
    # not to be retried before `next_at` (backoff), and how many sends ended in doubt (a timeout
    # after the request left: resent at most once).
    first_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    doubts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Worker(Base):
    """A running `nhacviec run` process and the lease it renews while alive (its heartbeat).

    A claim in `reminder_log` whose worker has no live lease here belongs to a dead process and
    may be taken over by anyone.
    """

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime())


class ConversationState(Base):
    """What the bot waits for in a chat (an import preview, an agency name, numbered choices).

    Kept here, not in a process's memory, so it survives a restart and any of several
    processes behind one webhook can take the next message. Gone after `expires_at`.
    """

    __tablename__ = "conversations"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Meta(Base):
    """Small counters, e.g. the agencies revision that tells a long-running bot to reload its directory."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class SharedValue(Base):
    """A value every process of one deployment must agree on and nobody configured, e.g. a
    generated webhook secret (Telegram and Zalo check it on every pushed update)."""

    __tablename__ = "shared_values"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Invite(Base):
    """An invite link (/moi): opening `t.me/<bot>?start=<code>` files a join request for this agency
    and role — approved at once when `auto_approve`. Usable by several people until it expires."""

    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), default="officer")
    auto_approve: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uses: Mapped[int] = mapped_column(Integer, default=0)
