"""All configuration, from the environment. See README.md, "Configuration", for every variable.

EPORTAL_ENV selects the kind of run: "production" (the default), "demo" (`eportal demo`) or
"test" (the test suite). Only the demo can run with DEBUG (EPORTAL_DEBUG), and only production insists on a real
SECRET_KEY, since an unset key would let anyone forge sessions and links.

Every variable is read through eportal.environment: a malformed number, range, yes/no or choice stops
start-up with a message naming the variable, rather than failing later in the middle of a request.
"""

import datetime
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from eportal.environment import (
    env,
    env_bool,
    env_choice,
    env_float,
    env_hours_range,
    env_int,
    env_key_ring,
    env_list,
    env_nok,
)
from eportal.i18n import compile_catalogues

PACKAGE_DIR = Path(__file__).resolve().parent


EPORTAL_ENV = env_choice("EPORTAL_ENV", "production", ["production", "demo", "test"])
DEMO = EPORTAL_ENV == "demo"
TESTING = EPORTAL_ENV == "test"
PRODUCTION = EPORTAL_ENV == "production"

DATA_DIR = Path(env("EPORTAL_DATA_DIR") or Path.cwd()).resolve()

DEMO_SECRET_KEY = "demo-only-not-secret-eportal-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env("SECRET_KEY")
if PRODUCTION and (not SECRET_KEY or SECRET_KEY == DEMO_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 32 characters outside the demo. "
        "Make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
SECRET_KEY = SECRET_KEY or DEMO_SECRET_KEY

DEBUG = env_bool("EPORTAL_DEBUG", False) and DEMO  # for a developer; read in every mode, so that a typo is seen

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Synthetic fødselsnummer (month + 80) are accepted only where they cannot meet real patients.
EPORTAL_ALLOW_SYNTHETIC_IDS = env_bool("EPORTAL_ALLOW_SYNTHETIC_IDS", not PRODUCTION)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    # Third-party apps under their Norwegian names in the staff admin (see eportal/staff/apps.py).
    "eportal.staff.apps.TasksDBConfig",
    "eportal.staff.apps.OTPConfig",
    "eportal.staff.apps.TOTPConfig",
    "eportal.staff.apps.AxesConfig",
    "eportal.accounts",
    "eportal.clinic",
    "eportal.representation",
    "eportal.booking",
    "eportal.messaging",
    "eportal.staff",
    "eportal.notifications",
    "eportal.audit",
    "eportal.operations",
    "eportal.demo",
]

MIDDLEWARE = [
    "eportal.operations.logs.RequestIdMiddleware",  # first: every log line of a request carries its id
    "eportal.web.errors.DatabaseUnavailableMiddleware",  # the database not answering: a 503, wherever it failed
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # After CSP, so that its answers pass it on their way out (it may widen form-action for BankID logout).
    "eportal.accounts.middleware.SessionPolicyMiddleware",
    "eportal.web.actor.ActorMiddleware",
    "eportal.web.errors.UserErrorMiddleware",
    "axes.middleware.AxesMiddleware",
    "eportal.web.limits.RequestSizeLimitMiddleware",
]

ROOT_URLCONF = "eportal.urls"
CSRF_FAILURE_VIEW = "eportal.web.errors.csrf_failure"
WSGI_APPLICATION = "eportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "eportal.clinic.context_processors.clinic",
                "eportal.representation.context_processors.acting_for",
                "eportal.staff.context_processors.new_messages",
            ],
        },
    },
]

# SQLite by default, in EPORTAL_DATA_DIR; PostgreSQL (or another) through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'eportal.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at the start
        # of a transaction, so concurrent writers queue instead of failing mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Short web queries: a parallel worker costs more to start than it saves. Measured (bench/README.md):
    # at 10x the data the planner began starting one for every free-time page (5.4 ms instead of 1.8 ms).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c max_parallel_workers_per_gather=0".strip()
    # A connection kept between requests (CONN_MAX_AGE) is checked before a request reuses it: after PostgreSQL
    # restarted, the next request connects afresh instead of failing on the dead connection.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background jobs are rows in the database, run by `eportal worker`; an enqueue inside a
# transaction is rolled back with it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:my-page"

# At least 8 characters (the seed), no composition rules, common passwords and the person's own data
# refused (docs/security.md, "Passwords").
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "eportal.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "eportal.accounts.validators.CommonPasswordValidator"},
    {"NAME": "eportal.accounts.validators.PersonalDataValidator"},
]

# Sessions: 30 minutes idle (the row's expiry, renewed at most once a minute by the store), 12 hours at most.
SESSION_ENGINE = "eportal.accounts.session_store"
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
EPORTAL_SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60

# One-time codes by SMS and links by e-mail (docs/security.md, "SMS one-time code").
EPORTAL_CODE_DIGITS = 6
EPORTAL_CODE_VALID_SECONDS = 5 * 60
EPORTAL_CODE_MAX_TRIES = 5
EPORTAL_CODE_ACCOUNT_FAILURE_LIMIT = 50
EPORTAL_ACTIVATION_LINK_SECONDS = 48 * 60 * 60
EPORTAL_RESET_LINK_SECONDS = 60 * 60
EPORTAL_SMS_CAP_ACCOUNT_15MIN = env_int("EPORTAL_SMS_CAP_ACCOUNT_15MIN", 3, minimum=1)
EPORTAL_SMS_CAP_ACCOUNT_DAY = env_int("EPORTAL_SMS_CAP_ACCOUNT_DAY", 10, minimum=1)
EPORTAL_SMS_CAP_IP_15MIN = env_int("EPORTAL_SMS_CAP_IP_15MIN", 10, minimum=1)
EPORTAL_SMS_CAP_IP_DAY = env_int("EPORTAL_SMS_CAP_IP_DAY", 50, minimum=1)
EPORTAL_SMS_CAP_GLOBAL_DAY = env_int("EPORTAL_SMS_CAP_GLOBAL_DAY", 5000, minimum=1)
# E-mails about one person's account (activation, new password, new address, registration notices), whichever
# addresses ask for them: a stranger cannot flood a patient's inbox by rotating addresses.
EPORTAL_MAIL_CAP_PERSON_HOUR = env_int("EPORTAL_MAIL_CAP_PERSON_HOUR", 5, minimum=1)
EPORTAL_MAIL_CAP_PERSON_DAY = env_int("EPORTAL_MAIL_CAP_PERSON_DAY", 10, minimum=1)
# Version of the consent text on the registration page; raise it when the text changes.
EPORTAL_CONSENT_VERSION = 1

# Booking: how far ahead slots are made, how many future online bookings a patient may
# hold, and the cancellation deadline before which a patient may cancel online.
EPORTAL_BOOKING_HORIZON_DAYS = env_int("EPORTAL_BOOKING_HORIZON_DAYS", 56, minimum=1, maximum=366)
EPORTAL_BOOKING_MAX_FUTURE = env_int("EPORTAL_BOOKING_MAX_FUTURE", 2, minimum=1)
EPORTAL_CANCEL_DEADLINE_HOURS = env_int("EPORTAL_CANCEL_DEADLINE_HOURS", 24, minimum=0)
EPORTAL_BOOKING_ANY_PRACTITIONER = env_bool("EPORTAL_BOOKING_ANY_PRACTITIONER", False)
EPORTAL_NO_SHOW_FEE_NOK = env_nok("EPORTAL_NO_SHOW_FEE_NOK", "400")
EPORTAL_REMINDER_HOURS = env_int("EPORTAL_REMINDER_HOURS", 48, minimum=1)
# «Gi meg beskjed om en tidligere time»: how long a freed time is held for the patient it is offered to.
EPORTAL_WAITLIST_HOLD_MINUTES = env_int("EPORTAL_WAITLIST_HOLD_MINUTES", 60, minimum=1)
# No offers (no SMS) from 22 to 07, Oslo time; times freed at night are offered by `booking-jobs` after.
EPORTAL_WAITLIST_QUIET_HOURS = env_hours_range("EPORTAL_WAITLIST_QUIET_HOURS", (22, 7))
# Notices (notifications/tasks.py): a notice the SMS gateway or mail server refuses is tried again after
# EPORTAL_NOTICE_RETRY_SECONDS, doubled each time (at most 30 minutes), until EPORTAL_NOTICE_GIVE_UP_HOURS
# after it was queued; then staff see it under «Varsler som ikke kom fram». One being handed over for longer
# than the lease belonged to a worker that stopped: the worker's «notices» job reconciles it.
EPORTAL_NOTICE_RETRY_SECONDS = env_int("EPORTAL_NOTICE_RETRY_SECONDS", 30, minimum=1, maximum=3600)
EPORTAL_NOTICE_GIVE_UP_HOURS = env_int("EPORTAL_NOTICE_GIVE_UP_HOURS", 24, minimum=1, maximum=24 * 14)
EPORTAL_NOTICE_SENDING_LEASE_SECONDS = env_int("EPORTAL_NOTICE_SENDING_LEASE_SECONDS", 300, minimum=30)
EPORTAL_SMS_HTTP_TIMEOUT_SECONDS = env_float("EPORTAL_SMS_HTTP_TIMEOUT_SECONDS", 10, minimum=0.1, maximum=120)
# The worker's own schedule (eportal/operations/schedule.py): minutes between runs of each job; 0 turns it
# off (then run `eportal generate-slots` and `eportal booking-jobs` some other way).
EPORTAL_JOB_GENERATE_SLOTS_MINUTES = env_int("EPORTAL_JOB_GENERATE_SLOTS_MINUTES", 24 * 60, minimum=0)
EPORTAL_JOB_BOOKING_MINUTES = env_int("EPORTAL_JOB_BOOKING_MINUTES", 1 if DEMO else 5, minimum=0)
EPORTAL_JOB_NOTICES_MINUTES = env_int("EPORTAL_JOB_NOTICES_MINUTES", 1, minimum=0)
# Messages with the clinic (docs/messaging.md). The answer time is told before sending, in working days
# (weekdays that are not Norwegian public holidays); answers within the notice delay give one notice.
EPORTAL_MESSAGE_MAX_CHARS = env_int("EPORTAL_MESSAGE_MAX_CHARS", 5000, minimum=100, maximum=50000)
EPORTAL_MESSAGE_ANSWER_WORKING_DAYS = env_int("EPORTAL_MESSAGE_ANSWER_WORKING_DAYS", 3, minimum=1, maximum=30)
EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES = env_int("EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES", 5, minimum=0, maximum=120)
# Prescription renewal: how many medicines one request may name.
EPORTAL_RENEWAL_MAX_MEDICINES = env_int("EPORTAL_RENEWAL_MAX_MEDICINES", 10, minimum=1, maximum=30)
# eKonsultasjon (docs/ekonsultasjon.md): the patient's egenandel, as the normaltariff sets it (it changes on
# 1 July most years: set the current amounts). Daytime (takst 2ae) is the hours below on working days; every
# other time, weekends and public holidays included, is evening (2aek). The fee is fixed when the GP closes it,
# from when they answered, with the table and exemption it was sent with.
EPORTAL_EKONSULTASJON_FEE_DAYTIME_NOK = env_nok("EPORTAL_EKONSULTASJON_FEE_DAYTIME_NOK", "183", maximum=9999)
EPORTAL_EKONSULTASJON_FEE_EVENING_NOK = env_nok("EPORTAL_EKONSULTASJON_FEE_EVENING_NOK", "293", maximum=9999)
EPORTAL_EKONSULTASJON_SPECIALIST_SUPPLEMENT_NOK = env_nok(
    "EPORTAL_EKONSULTASJON_SPECIALIST_SUPPLEMENT_NOK", "61", maximum=9999
)
EPORTAL_EKONSULTASJON_INVOICE_FEE_NOK = env_nok("EPORTAL_EKONSULTASJON_INVOICE_FEE_NOK", "0", maximum=9999)
EPORTAL_EKONSULTASJON_DAYTIME_HOURS = env_hours_range("EPORTAL_EKONSULTASJON_DAYTIME_HOURS", (8, 16))
# Groups besides children under 16 and holders of frikort who pay nothing, as the clinic offers them
# (messaging.fees.EXEMPT_GROUPS names those known): a comma-separated list of keys.
EPORTAL_EKONSULTASJON_EXEMPT_GROUPS = env_list(
    "EPORTAL_EKONSULTASJON_EXEMPT_GROUPS", "pregnancy,occupational_injury,infectious_disease"
)
# Attachments: photos (JPEG, PNG) and PDF, checked before anything is stored.
EPORTAL_ATTACHMENT_MAX_COUNT = env_int("EPORTAL_ATTACHMENT_MAX_COUNT", 3, minimum=0, maximum=10)
EPORTAL_ATTACHMENT_MAX_BYTES = env_int("EPORTAL_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
EPORTAL_ATTACHMENT_MAX_PIXELS = env_int("EPORTAL_ATTACHMENT_MAX_PIXELS", 40_000_000, minimum=1_000_000)
# The largest request body the portal reads: a message with every file at its limit, and room for the text.
EPORTAL_MAX_REQUEST_BYTES = EPORTAL_ATTACHMENT_MAX_COUNT * EPORTAL_ATTACHMENT_MAX_BYTES + 1024 * 1024
# Keys that encrypt message texts and attachments at rest: `id:key,id:key`, each key a Fernet key
# (`eportal new-message-key` prints one). The first encrypts; all decrypt; `eportal rotate-keys` re-encrypts
# everything under the first. Only the demo and the tests have a built-in key, which must never be used.
DEMO_MESSAGE_KEYS = "demo:ZGVtby1vbmx5LW5vdC1zZWNyZXQtbWVzc2FnZS1rZXk="
EPORTAL_MESSAGE_KEYS = env_key_ring("EPORTAL_MESSAGE_KEYS", "" if PRODUCTION else DEMO_MESSAGE_KEYS)
if PRODUCTION and (not EPORTAL_MESSAGE_KEYS or DEMO_MESSAGE_KEYS.split(":")[1] in dict(EPORTAL_MESSAGE_KEYS).values()):
    raise ImproperlyConfigured(
        "EPORTAL_MESSAGE_KEYS must be set outside the demo: id:key, a key from `eportal new-message-key`."
    )
# The portal's address, for links in messages sent by background jobs (no request to read it from).
EPORTAL_PUBLIC_URL = env(
    "EPORTAL_PUBLIC_URL",
    f"https://{ALLOWED_HOSTS[0]}/" if PRODUCTION and ALLOWED_HOSTS else "http://testserver/",
)

# BankID / ID-porten through OpenID Connect (README: "BankID"). Unset discovery URL: BankID is off.
EPORTAL_OIDC_PRESET = env_choice("EPORTAL_OIDC_PRESET", "bankid", ["bankid", "idporten"])
EPORTAL_OIDC_DISCOVERY_URL = env("EPORTAL_OIDC_DISCOVERY_URL")
EPORTAL_OIDC_CLIENT_ID = env("EPORTAL_OIDC_CLIENT_ID")
EPORTAL_OIDC_CLIENT_SECRET = env("EPORTAL_OIDC_CLIENT_SECRET")
EPORTAL_OIDC_PRIVATE_KEY_FILE = env("EPORTAL_OIDC_PRIVATE_KEY_FILE")
EPORTAL_OIDC_SCOPES = env("EPORTAL_OIDC_SCOPES")
EPORTAL_OIDC_NATIONAL_ID_CLAIM = env("EPORTAL_OIDC_NATIONAL_ID_CLAIM")
EPORTAL_OIDC_ALGORITHMS = env_list("EPORTAL_OIDC_ALGORITHMS", "RS256,PS256,ES256")
EPORTAL_OIDC_TIMEOUT_SECONDS = env_float("EPORTAL_OIDC_TIMEOUT_SECONDS", 10.0, minimum=0.1)

# Wrong passwords: 10 from one address, or 10 for one personnummer from one address, lock that key for
# 15 minutes, and tries during a lockout do not prolong it. A personnummer is never locked for every
# address: a stranger cannot lock a patient out, and guessing from many addresses still meets the SMS code.
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "eportal.web.actor.client_network"
# Axes' tables keep a keyed hash, not the fødselsnummer; our own audit log records logins.
AXES_USERNAME_CALLABLE = "eportal.accounts.lockout.username_key"
AXES_SENSITIVE_PARAMETERS = ["password", "national_id", "otp_token", "code"]
AXES_DISABLE_ACCESS_LOG = True

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:  # fast hashing for the tests' many throwaway users; Argon2 everywhere else
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian Bokmål"))]
# The compiled catalogues: the installed package's own, or (a git checkout) compiled into a cache folder.
LOCALE_PATHS = [compile_catalogues()]
USE_I18N = True
TIME_ZONE = "Europe/Oslo"
USE_TZ = True

STATIC_URL = "/static/"
# Served by WhiteNoise from the package itself; `eportal collectstatic` (into STATIC_ROOT) is optional.
STATIC_ROOT = Path(env("STATIC_ROOT")) if env("STATIC_ROOT") else None
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Security headers. The cookie names with the __Host- prefix need Secure, so they apply behind TLS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    if env_bool("EPORTAL_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# The clinic: these seed the clinic's row the first time it is needed; afterwards staff keep it in
# the admin (/personale/admin/).
EPORTAL_CLINIC_NAME = env("EPORTAL_CLINIC_NAME", "Legesenteret")
EPORTAL_CLINIC_ADDRESS = env("EPORTAL_CLINIC_ADDRESS")
EPORTAL_CLINIC_PHONE = env("EPORTAL_CLINIC_PHONE")
EPORTAL_CLINIC_EMAIL = env("EPORTAL_CLINIC_EMAIL")

# Outgoing messages. The demo prints them and keeps them for the outbox page; tests keep them in memory.
EPORTAL_SMS_PRICE_NOK = env_nok("EPORTAL_SMS_PRICE_NOK", "1", maximum=9999)  # the ledger holds 9999.99 at most
EPORTAL_SMS_BACKEND = env(
    "EPORTAL_SMS_BACKEND",
    {
        "demo": "eportal.notifications.backends.OutboxSmsBackend",
        "test": "eportal.notifications.backends.MemorySmsBackend",
    }.get(
        EPORTAL_ENV,
        "eportal.notifications.backends.HttpSmsBackend"
        if env("EPORTAL_SMS_HTTP_URL")
        else "eportal.notifications.backends.UnconfiguredSmsBackend",
    ),
)
EPORTAL_SMS_HTTP_URL = env("EPORTAL_SMS_HTTP_URL")
EPORTAL_SMS_HTTP_TOKEN = env("EPORTAL_SMS_HTTP_TOKEN")
EPORTAL_SMS_SENDER = env("EPORTAL_SMS_SENDER", "Legekontor")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    {
        "demo": "eportal.notifications.backends.OutboxEmailBackend",
        "test": "django.core.mail.backends.locmem.EmailBackend",
    }.get(EPORTAL_ENV, "django.core.mail.backends.smtp.EmailBackend"),
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# A mail server that stops answering must not hold a worker (or a notice being handed over) for ever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1, maximum=300)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "eportal@localhost")
# The demo outbox page shows every SMS and e-mail; it exists only in the demo, and answers only loopback
# clients unless the demo serves other machines (`eportal demo --expose` sets EPORTAL_DEMO_EXPOSED).
EPORTAL_DEMO_OUTBOX = DEMO
EPORTAL_DEMO_EXPOSED = env_bool("EPORTAL_DEMO_EXPOSED", False) and DEMO

EPORTAL_LOG_LEVEL = env_choice("EPORTAL_LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
# "plain" lines, or "json": one object per line (time in UTC, level, logger, message, request_id, exception) for a
# log collector. Each request's id (X-Request-ID, eportal/operations/logs.py) is on its records either way.
EPORTAL_LOG_FORMAT = env_choice("EPORTAL_LOG_FORMAT", "plain", ["plain", "json"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "eportal.operations.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "eportal.operations.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": EPORTAL_LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": EPORTAL_LOG_LEVEL},
    # django-axes would log the username, which for patients is the fødselsnummer.
    # pypdf reports what it repairs in a damaged attachment as warnings: noise, never the portal's concern.
    "loggers": {"axes": {"level": "ERROR"}, "pypdf": {"level": "ERROR"}},
}
# /healthz (eportal/operations/health.py): 503 once the oldest background job that may run has waited longer.
EPORTAL_HEALTH_MAX_JOB_WAIT_SECONDS = env_int("EPORTAL_HEALTH_MAX_JOB_WAIT_SECONDS", 600, minimum=1)
# A load balancer or monitor may ask on plain HTTP (on loopback, with the portal's Host header): no redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
