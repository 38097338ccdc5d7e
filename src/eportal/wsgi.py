"""The WSGI application gunicorn serves (`eportal serve`); compiles the translations first."""

import os

from django.core.wsgi import get_wsgi_application

from eportal.i18n import compile_catalogues

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eportal.settings")
compile_catalogues()
application = get_wsgi_application()
