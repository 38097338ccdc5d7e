"""Benchmark settings: eportal's *production* settings, with only what a load test on loopback needs
changed. Set the environment, then import eportal.settings, then override.

Kept as in production: DEBUG off, the password hashers (Argon2 at Django's default cost), sessions in
the database, django-axes, the SMS caps' queries (only their limits are raised), the audit log, CSRF.

Changed, and why:
  * plain HTTP on 127.0.0.1 (no TLS proxy in front): SECURE_SSL_REDIRECT off, ALLOWED_HOSTS 127.0.0.1.
    The cookies keep their __Host- names and Secure flag; the load generator sends them back anyway.
  * synthetic fødselsnummer allowed (the demo clinic's patients are synthetic).
  * SMS caps and the axes failure limit raised very high: every request comes from 127.0.0.1, so the
    per-address caps (10 SMS per 15 minutes) would stop the benchmark after ten logins.
  * a reverse proxy trusted (EPORTAL_BEHIND_PROXY=1, as in a deployment behind nginx): the client address
    is the last X-Forwarded-For entry where a request has one, else 127.0.0.1. Only the reset phase sends
    one, a different address per request, so the reset throttles (10 per network per hour, 3 per network
    and number) stay as in production and are counted on every request without ever tripping. No request
    sends X-Forwarded-Proto, so every request is plain HTTP as before. The cache is eportal's default
    without REDIS_URL: in-memory per gunicorn worker (a deployment with REDIS_URL shares one Redis).
  * SMS go to benchsite.sms.FileSmsBackend (one small file per mobile), where the load generator
    reads the code. A real provider's HTTP round trip is not part of the figures.
  * nothing about hashing, but the benchmark refuses to run if the preferred hasher is MD5 (the tests'
    fast hasher; until commit 8e1d1c6 a settings slip made it every environment's default, and a
    login benchmark would then have measured MD5).
  * ROOT_URLCONF benchsite.urls: eportal's URLs plus /bench/bare/.
  * only if EPORTAL_BENCH_PG_SETTINGS is set (`--pg-setting NAME=VALUE`, a deployment experiment):
    those PostgreSQL settings on the app's connections, e.g. max_parallel_workers_per_gather=0.

The orchestrator sets SECRET_KEY and EPORTAL_MESSAGE_KEYS (both random per run), EPORTAL_DATA_DIR or
DATABASE_URL and EPORTAL_BENCH_SMS_DIR; it runs this module in the setup process and in every gunicorn worker.
"""

import os
from pathlib import Path

BENCH_SITE_DIR = Path(__file__).resolve().parent
_VERY_HIGH = str(10**9)

os.environ["EPORTAL_ENV"] = "production"
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("EPORTAL_ALLOW_SYNTHETIC_IDS", "1")
os.environ.setdefault("EPORTAL_SMS_BACKEND", "benchsite.sms.FileSmsBackend")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("EPORTAL_BEHIND_PROXY", "1")
for _cap in (
    "EPORTAL_SMS_CAP_ACCOUNT_15MIN",
    "EPORTAL_SMS_CAP_ACCOUNT_DAY",
    "EPORTAL_SMS_CAP_IP_15MIN",
    "EPORTAL_SMS_CAP_IP_DAY",
    "EPORTAL_SMS_CAP_GLOBAL_DAY",
):
    os.environ.setdefault(_cap, _VERY_HIGH)

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from eportal.settings import *  # noqa: E402,F403
from eportal.settings import DATABASES, PASSWORD_HASHERS, TEMPLATES, env  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "benchsite.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BENCH_SITE_DIR / "templates"]

AXES_FAILURE_LIMIT = 10**9

EPORTAL_BENCH_SMS_DIR = env("EPORTAL_BENCH_SMS_DIR")
if env("EPORTAL_BENCH_PG_SETTINGS"):
    if "postgresql" not in DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("EPORTAL_BENCH_PG_SETTINGS is for PostgreSQL")
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = " ".join(
        f"-c {setting}" for setting in env("EPORTAL_BENCH_PG_SETTINGS").split(",")
    )
if PASSWORD_HASHERS[0].endswith(".MD5PasswordHasher"):
    raise ImproperlyConfigured("eportal.settings prefers the MD5 test hasher outside the tests; not benchmarking that")
