"""The delivery engine: reminders and managers' digests, from the plan to the chat.

Its own floor, below the handlers and above the settings and storage: it takes storage (with
its read cache), plain config values and a clock (`DeliveryContext`), never the handlers' context.

- `tick` — plan the reminders due and triage retries (with the "never miss, at most twice" argument);
- `sending` — claim a window → re-check → send → record the outcome;
- `digests` — compose a manager's digest, and send them on working days;
- `recipients`, `outcomes` (how a failed send is recorded), `reports` (what `remind`/`digest
  --json` print), `config` (with the holiday calendar), `ports` (what channels implement:
  `Sender`, `Outbox`, `DeliveryError`).

The worker's lease is `storage.leases.Lease`: it lives with the write transactions that renew it.
"""
