"""The operator console: Starlette app with a JSON API and server-rendered pages (no build step)."""
