"""The WSGI application gunicorn serves (`eportal serve`); the settings find the compiled translations."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eportal.settings")
application = get_wsgi_application()
