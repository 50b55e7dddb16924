"""`Storage`: the one object callers hold, made of one repository per concern.

Each repository is a small class in its own module with its records beside it, and reaches the
database only through the shared `Database` (one engine, one session policy):

| repository | module | what |
|---|---|---|
| `AgencyStore` | `storage.agencies` | the directory: agencies, aliases, the tree, mergers; change counters |
| `PlanStore` | `storage.plans` | saving a parsed plan, listing and archiving plans, the /demo sample |
| `TaskStore` | `storage.tasks` | task views with their occurrences (the hot path of questions and ticks) |
| `ResultStore` | `storage.results` | results, progress, extensions, a manager's digest rhythm |
| `DeliveryLog` | `storage.delivery_log` | claims, retries, outcomes, the re-check before a send |
| `LeaseStore` | `storage.leases` | workers' leases (heartbeats) and `Lease`, the one owner of a lease's state |
| `ConversationStore` | `storage.conversations` | what the bot waits for in each chat |
| `UserStore` | `storage.users` | accounts, roles, reminder preferences, linked groups |
| `OnboardingStore` | `storage.onboarding` | invite links, chats that move |
| `SharedValueStore` | `storage.shared_values` | values every process must agree on |
| `WebLogins` (`storage.web`) | `storage.web_logins` | the dashboard's single-use links and sessions |
| `Inbox` (`storage.inbox`) | `storage.inbox` | pushed updates kept before they are acknowledged, claimed per chat (issue 30) |

Why one façade that *inherits* the repositories, rather than one attribute per repository
(`storage.users.upsert(…)`): the ~500 call sites (handlers, the command line, the delivery floor,
the tests, and the work landing alongside) keep calling `storage.user(…)` unchanged, there is no
delegating method to keep in step with its target, and a test can still replace one method on
the one object the code holds. Each method is defined once, in its repository; the repositories
share no state but `self.db`, and each works alone (`UserStore(db)`).

Callers get plain values (`AgencyRecord`, `TaskView`, `UserRecord` …), never ORM objects, so
handlers and the pure planners cannot trigger lazy loads or hold sessions across awaits.
"""

from __future__ import annotations

from collections.abc import Callable

from storage.agencies import AgencyStore
from storage.conversations import ConversationStore
from storage.database import Database
from storage.delivery_log import DeliveryLog
from storage.inbox import Inbox
from storage.leases import LeaseStore
from storage.onboarding import OnboardingStore
from storage.plans import PlanStore
from storage.results import ResultStore
from storage.shared_values import SharedValueStore
from storage.tasks import TaskStore
from storage.users import UserStore
from storage.web_logins import WebLogins


class Storage(
    AgencyStore,
    PlanStore,
    TaskStore,
    ResultStore,
    DeliveryLog,
    LeaseStore,
    ConversationStore,
    UserStore,
    OnboardingStore,
    SharedValueStore,
):
    """Every repository on one database. Create with `await Storage.open(url)`; `await close()` at the end."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        # The dashboard's links and sessions (issue 29) arrived as an attribute, `storage.web`; it
        # reads and writes through the same sessions and `write()` as every other repository.
        self.web = WebLogins(db.sessions, db.write)
        # The inbox of pushed updates (issue 30), the same way: its verbs are its own.
        self.inbox = Inbox(db)

    @classmethod
    async def open(
        cls, url: str, *, migrate: bool = True, redact: Callable[[str], str] | None = None
    ) -> Storage:
        return cls(await Database.open(url, migrate=migrate, redact=redact))

    async def schema_revisions(self) -> tuple[str | None, str | None]:
        """(the database's migration, this code's newest): equal when a worker is ready (/readyz)."""
        return await self.db.schema_revisions()

    async def close(self) -> None:
        await self.db.close()
