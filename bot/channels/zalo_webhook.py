"""The Zalo webhook receiver: a small tornado server that checks the secret and queues updates.

Zalo POSTs `{"ok": true, "result": update}` with the header `X-Bot-Api-Secret-Token`; any call
without the right secret gets 403, a body that is not an update 400, and an update is
acknowledged at once and handed to `on_update` (the channel handles it in the background).
Put a TLS reverse proxy in front.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024


class WebhookServer:
    """Listens on (host, port) at `path`; every accepted update goes to `on_update`."""

    def __init__(self, path: str, secret: str, on_update: Callable[[dict[str, Any]], None]) -> None:
        self.path = path or "/"
        self.secret = secret
        self.on_update = on_update
        self._server: HTTPServer | None = None

    def start(self, host: str, port: int) -> None:
        app = Application([(re.escape(self.path), _WebhookHandler, {"receiver": self})])
        server = HTTPServer(app, xheaders=True, max_body_size=MAX_BODY)
        server.listen(port, address=host)
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def secret_ok(self, given: str | None) -> bool:
        return bool(self.secret) and given is not None and hmac.compare_digest(given.encode(), self.secret.encode())

    def accept(self, body: bytes) -> bool:
        """Parse one pushed update and queue it; False when the body is not an update."""
        try:
            payload = json.loads(body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return False
        if not isinstance(payload, dict):
            return False
        update = payload.get("result") if "result" in payload else payload
        if not isinstance(update, dict):
            return False
        self.on_update(update)
        return True


class _WebhookHandler(RequestHandler):
    """POST with the secret header → 200 and the update is queued; anything else → 403/400."""

    def initialize(self, receiver: WebhookServer) -> None:
        self.receiver = receiver

    def post(self) -> None:
        if not self.receiver.secret_ok(self.request.headers.get(SECRET_HEADER)):
            self.set_status(403)
            self.finish({"ok": False, "description": "Forbidden"})
            return
        if not self.receiver.accept(self.request.body):
            self.set_status(400)
            self.finish({"ok": False, "description": "Bad Request"})
            return
        self.finish({"ok": True})

    def get(self) -> None:
        self.set_status(403 if not self.receiver.secret_ok(self.request.headers.get(SECRET_HEADER)) else 405)
        self.finish()
