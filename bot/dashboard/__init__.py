"""The caseworker web dashboard (FastAPI + Jinja2 + htmx): `create_app`, `serve_dashboard`."""
