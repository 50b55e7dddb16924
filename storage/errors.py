"""Database failures as one sentence for the user; the details go to the log.

A full disk, a read-only file, a lock held too long, a server that does not answer: the
driver's message ("(sqlite3.OperationalError) database or disk is full") means nothing to an
officer and may carry a URL. `explain` turns the failures we know into a `StorageError` whose
text is one translated sentence; unknown errors are left as they are (the caller apologises).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError, ProgrammingError

from bot.core.domain import UserError
from bot.core.i18n import _

log = logging.getLogger(__name__)


class StorageError(UserError):
    """The database could not do what was asked; `str(exc)` is one sentence for the user."""


class DatabaseBusy(StorageError):
    """Another writer held the database longer than the wait allowed: trying again may work."""


class DatabaseFileLost(StorageError):
    """The SQLite file was deleted or replaced while the program ran: nothing more is written."""


# (words in the driver's message, lower-cased) → the sentence. First match wins.
def _sentences() -> list[tuple[tuple[str, ...], str]]:
    return [
        (
            ("database or disk is full", "disk full", "no space left", "could not extend file", "diskfull"),
            _("Cơ sở dữ liệu đã đầy (hết chỗ trên đĩa); chưa ghi được gì. Hãy báo quản trị viên."),
        ),
        (
            ("readonly database", "read-only", "read only"),
            _("Cơ sở dữ liệu đang ở chế độ chỉ đọc; chưa ghi được gì. Hãy báo quản trị viên."),
        ),
        (
            ("database is locked", "could not obtain lock", "deadlock detected", "lock timeout"),
            _("Cơ sở dữ liệu đang bận; vui lòng thử lại sau ít phút."),
        ),
        (
            (
                "unable to open database file",
                "disk i/o error",
                "connection refused",
                "could not connect",
                "connection was closed",
                "connection is closed",
                "cannot connect",
                "does not exist",
                "name or service not known",
                "timeout expired",
                "connect call failed",
                "server closed the connection",
            ),
            _("Không kết nối được cơ sở dữ liệu; vui lòng thử lại sau hoặc báo quản trị viên."),
        ),
    ]


def explain(exc: BaseException) -> StorageError | None:
    """The sentence for a database failure we recognise, else None (a bug, not the database)."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, IntegrityError | ProgrammingError):
        return None  # a lost race or a bug: the caller retries or apologises
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 5:
        chain.append(current)
        current = current.__cause__ or current.__context__
    text = " ".join(f"{type(e).__name__} {e}" for e in chain).lower()
    is_database = any(
        name in text for name in ("operationalerror", "interfaceerror", "sqlite3", "asyncpg", "postgres", "oserror")
    ) or isinstance(exc, OSError | ConnectionError | TimeoutError)
    if not is_database:
        return None
    for index, (words, sentence) in enumerate(_sentences()):
        if any(word in text for word in words):
            return DatabaseBusy(sentence) if index == _BUSY else StorageError(sentence)
    return None


_BUSY = 2  # the place of "database is locked" in `_sentences`
