"""WSGI entry point: `gunicorn -w 4 'web.wsgi:app'`. EMBEDDED_WORKER=1 makes each process consume the queue."""
from web import create_app

app = create_app()
