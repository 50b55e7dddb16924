"""`/healthz` and `/readyz` on every listener of the process (issue 30), for balancers and orchestrators.

- `GET /healthz`: the process lives and its event loop answers — 200, always. (Restart a
  worker when this fails.)
- `GET /readyz`: the worker can do its work — the database answers and its migrations are this
  code's (`handlers.health.readiness`). 200 when ready, 503 when not, with the details as JSON.
  A channel's outage (Telegram unreachable) is in the body but keeps the answer 200: it is
  every worker's outage, and taking every worker out of the balancer at once would only stop
  the updates that do arrive from being kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Ready = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]


def health_routes(ready: Ready) -> list[Route]:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"alive": True})

    async def readyz(request: Request) -> Response:
        ok, details = await ready()
        return JSONResponse({"ready": ok, **details}, status_code=200 if ok else 503)

    return [Route("/healthz", healthz, methods=["GET", "HEAD"]), Route("/readyz", readyz, methods=["GET", "HEAD"])]
