"""Production's session and CSRF cookies carry the `__Host-` prefix: Secure, Path=/, no Domain. A sibling or
insecure origin cannot then toss in a CSRF cookie of its own (the token is not bound to the session), nor a
session cookie. Checked on the Set-Cookie headers a production process sends, not on its settings."""

import json
import os
import secrets
import subprocess
import sys

from cryptography.fernet import Fernet

from tests.helpers import SOURCE_DIR

# Migrates, GETs the staff login page (it sets the CSRF cookie), logs a staff member in with the page's token
# (the session middleware sets the session cookie) and prints each cookie's Set-Cookie header.
SCRIPT = """
import json, re
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from eportal.accounts.models import User

call_command("migrate", verbosity=0)
user = User.objects.create_user("anne", password="personalets passord", is_staff=True)
device = TOTPDevice.objects.create(user=user, name="telefon", confirmed=True)
client = Client(enforce_csrf_checks=True, HTTP_HOST="portal.example")
page = client.get("/personale/logg-inn/", secure=True)
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
login = client.post(
    "/personale/logg-inn/",
    {"csrfmiddlewaretoken": token, "username": "anne", "password": "personalets passord", "otp_token": code},
    secure=True,
    HTTP_ORIGIN="https://portal.example",
)
assert login.status_code == 302, login.status_code
csrf, session = django.conf.settings.CSRF_COOKIE_NAME, django.conf.settings.SESSION_COOKIE_NAME
print(json.dumps({csrf: page.cookies[csrf].output(header=""), session: login.cookies[session].output(header="")}))
"""


def _production_cookies(tmp_path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": SOURCE_DIR,
        "DJANGO_SETTINGS_MODULE": "eportal.settings",
        "EPORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "EPORTAL_MESSAGE_KEYS": f"k1:{Fernet.generate_key().decode()}",
        "ALLOWED_HOSTS": "portal.example",
        "EPORTAL_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'eportal.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _attributes(header: str) -> dict[str, str]:
    pairs = [part.strip().partition("=") for part in header.split(";")]
    return {name.lower(): value for name, _sep, value in pairs[1:]}


def test_production_session_and_csrf_cookies_are_host_only_and_secure(tmp_path):
    cookies = _production_cookies(tmp_path)
    assert sorted(cookies) == ["__Host-csrftoken", "__Host-sessionid"]
    for name, header in cookies.items():
        assert header.strip().startswith(f"{name}=")
        attributes = _attributes(header)
        assert "secure" in attributes and "httponly" in attributes, header
        assert attributes["path"] == "/" and "domain" not in attributes, header
        assert attributes["samesite"] == "Lax", header
