"""Storage: SQLAlchemy 2 (async) over aiosqlite or asyncpg, with Alembic migrations.

Nothing outside this package touches SQL; everything goes through `storage.db.Storage`.
"""

from storage.db import Storage

__all__ = ["Storage"]
