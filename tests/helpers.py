"""Steps that many tests take the way a person would."""

import re
import subprocess
import threading
from pathlib import Path

from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

import eportal
from eportal.accounts.models import User
from eportal.demo.clinic import STAFF_PASSWORD
from eportal.notifications import backends

# Where the eportal under test is imported from: the `eportal` command started in a subprocess gets it as
# PYTHONPATH, so that it runs this code even where the installed package points at another checkout.
SOURCE_DIR = str(Path(eportal.__file__).resolve().parent.parent)


def stop_process(process: subprocess.Popen, timeout: float = 20) -> None:
    """End a process this test started: SIGTERM, then SIGKILL if it has not ended within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_tasks() -> None:
    """Run the background jobs that are due with the worker's own code, as `eportal worker` would.

    The worker's loop itself (`db_worker --batch`) is not used here: between jobs it closes database
    connections that are inside a transaction, which is where each test runs."""
    worker = Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="tests", excluded_queue_names=[],
    )  # fmt: skip
    while (job := DBTaskResult.objects.ready().first()) is not None:
        job.claim(worker.worker_id)
        worker.run_task(job)


def last_email_link(to: str | None = None) -> str:
    run_tasks()
    messages = [m for m in mail.outbox if to is None or to in m.to]
    assert messages, "no e-mail was sent"
    return re.search(r"https?://\S+", messages[-1].body).group(0)


def last_sms_code(to: str | None = None) -> str:
    texts = [sms["text"] for sms in backends.sms_outbox if to is None or sms["to"] == to]
    assert texts, "no SMS was sent"
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


def page_without_csrf(response) -> str:
    """The page's HTML without its CSRF token, which differs on every answer: for comparing two answers."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def current_totp(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def staff_login(client, user, password=STAFF_PASSWORD):
    response = client.post(
        "/personale/logg-inn/", {"username": user.username, "password": password, "otp_token": current_totp(user)}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def run_concurrently(calls, *, error=Exception) -> list:
    """Start every call at the same moment, each in its own thread with its own database connection, and
    return what each returned, or the `error` it raised (anything else fails the test). At most 40
    connections at once, as an app server's threads would hold: PostgreSQL's default max_connections is
    100, shared with the test's own connection."""
    start = threading.Barrier(len(calls))
    pool = threading.BoundedSemaphore(40)
    pending = object()
    outcomes, unexpected = [pending] * len(calls), []

    def run(index, call):
        start.wait()
        with pool:
            try:
                outcomes[index] = call()
            except error as exc:
                outcomes[index] = exc
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                unexpected.append(repr(exc))
            finally:
                connection.close()  # before the next thread takes this one's place in the pool

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not unexpected and pending not in outcomes, unexpected[:3] or "a call did not finish"
    return outcomes


# An id in an address: `<int:appointment_id>`, `<uuid:public_id>`.
ID_PATTERN = re.compile(r"<(?:int|uuid):(\w+)>")


def url_routes(resolver=None, prefix=""):
    """Every address the portal answers, as its route (`meldinger/<int:thread_id>/`), for access matrices."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from url_routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def make_staff(username, *permissions, **fields) -> User:
    user = User.objects.create_user(username, password=STAFF_PASSWORD, is_staff=True, **fields)
    TOTPDevice.objects.create(user=user, name="telefon", confirmed=True)
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def client_for(user) -> Client:
    client = Client()
    staff_login(client, user)
    return client
