"""Storage: SQLAlchemy 2 (async) over aiosqlite or asyncpg, with Alembic migrations.

Nothing outside this package touches SQL; everything goes through `storage.Storage`, the façade
over one repository per concern (see `storage.facade`).
"""

from storage.facade import Storage

__all__ = ["Storage"]
