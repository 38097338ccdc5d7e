"""What the logged-in middleware itself costs on every request: three indexed reads (the session, the user, the
listed session that proves it was not ended elsewhere) and no write, except the renewal once a minute."""

import datetime
import re

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpResponse
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import timezone

from eportal.accounts.models import AccountSession
from eportal.clinic.models import Clinic

BARE = Template("<h1>{{ clinic.name }}</h1>")


def bare(request):
    """As bench/benchsite's yardstick: one query and one small template, behind all the middleware."""
    return HttpResponse(BARE.render(Context({"clinic": Clinic.objects.get(pk=Clinic.SINGLETON_ID)})))


urlpatterns = [path("bench/bare/", bare), path("", include("eportal.urls"))]

pytestmark = pytest.mark.urls(__name__)

SESSION_READS = ["SELECT django_session", "SELECT accounts_user", "SELECT accounts_accountsession"]
TRANSACTION_CONTROL = re.compile(r"^(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|BEGIN|COMMIT)\b")
STATEMENT = re.compile(r'^(?:(UPDATE) "(\w+)"|(SELECT|INSERT|DELETE)\b.*?\b(?:FROM|INTO) "(\w+)")', re.S)


def statements(client, url: str) -> list[str]:
    """The statements a GET runs, as «SELECT table» (savepoints and transaction control left out)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response
    sql = [query["sql"] for query in captured.captured_queries if not TRANSACTION_CONTROL.match(query["sql"])]
    return [" ".join(filter(None, match.groups())) if (match := STATEMENT.match(text)) else text for text in sql]


def renewed_ago(client, seconds: int) -> None:
    """Make the session look as if it was last renewed (and last seen) this many seconds ago."""
    key = client.session.session_key
    then = timezone.now() - datetime.timedelta(seconds=seconds)
    Session.objects.filter(session_key=key).update(expire_date=then + datetime.timedelta(minutes=30))
    AccountSession.objects.filter(session_key=key).update(last_seen_at=then)


def test_an_anonymous_bare_page_asks_only_what_the_view_asks(family):
    assert statements(Client(), "/bench/bare/") == ["SELECT clinic_clinic"]


def test_a_logged_in_bare_page_reads_three_rows_and_writes_nothing(logged_in):
    for _ in range(3):
        assert statements(logged_in, "/bench/bare/") == [*SESSION_READS, "SELECT clinic_clinic"]


def test_a_logged_in_page_with_the_site_template_adds_only_the_clinic(logged_in):
    """The front page renders base.html: the context processors ask for the clinic and nothing else for a
    patient acting for themselves."""
    assert statements(logged_in, "/") == [*SESSION_READS, "SELECT clinic_clinic"]


def test_the_session_is_renewed_on_the_first_request_after_a_minute(logged_in):
    renewed_ago(logged_in, 61)
    assert statements(logged_in, "/bench/bare/") == [
        *SESSION_READS,
        "UPDATE accounts_accountsession",
        "SELECT clinic_clinic",
        "UPDATE django_session",
    ]
    left = Session.objects.get(session_key=logged_in.session.session_key).expire_date - timezone.now()
    assert datetime.timedelta(minutes=29, seconds=59) < left <= datetime.timedelta(minutes=30)
    last_seen = AccountSession.objects.get().last_seen_at
    assert timezone.now() - last_seen < datetime.timedelta(seconds=5)
    assert statements(logged_in, "/bench/bare/") == [*SESSION_READS, "SELECT clinic_clinic"]


def test_within_the_minute_the_idle_timeout_counts_from_the_last_renewal(logged_in):
    """A request 30 seconds after the last renewal writes nothing: the session still ends 30 minutes after that
    renewal, 29 and a half after this request (between 29 and 30 idle minutes, never later)."""
    renewed_ago(logged_in, 30)
    logged_in.get("/bench/bare/")
    key = logged_in.session.session_key
    left = Session.objects.get(session_key=key).expire_date - timezone.now()
    assert datetime.timedelta(minutes=29, seconds=29) < left <= datetime.timedelta(minutes=29, seconds=30)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert logged_in.get("/min-side/").status_code == 302


def test_a_session_ended_elsewhere_stops_on_its_very_next_request(logged_in):
    """Within the minute without writes, the listed session is still read on every request."""
    assert logged_in.get("/min-side/").status_code == 200
    AccountSession.objects.all().delete()  # as «Avslutt» on Min side in another browser, but the row only
    assert logged_in.get("/min-side/").status_code == 302
    assert logged_in.get("/min-side/").status_code == 302
