"""Entry point for `flask --app app ...` and for WSGI servers (gunicorn app:app)."""
from safeguarding import create_app

app = create_app()
