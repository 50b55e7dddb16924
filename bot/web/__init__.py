"""The process's one web server (issue 29): an ASGI app on Starlette, served by uvicorn.

`app.create_app` takes the routes and mounts (the dashboard's today; issue 30 adds the
Telegram and Zalo webhooks and health checks) and wraps them in the same safety: security
headers, no caching, and a sentence for every error. Like a channel, this floor reaches the
database only through `handlers` (import-linter keeps it so).
"""
