"""The console: server-rendered pages at / (Jinja2 + htmx), calling the same services as the API."""
