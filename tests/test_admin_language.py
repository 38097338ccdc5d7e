"""The staff admin speaks Norwegian: Django's own pages, the third-party apps and every model registered in it.

Walks the admin index and the change list of every registered model (so a model added later is checked too),
and looks for English in what a member of staff reads: the visible text of the page, and the column headers
and filter titles of each list (computed by the admin itself, so they are checked even when a list is empty)."""

import html
import re

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_headers

from tests.helpers import client_for, make_staff

ADMIN = "/personale/admin/"

# Words and phrases of the English admin, none of which is Norwegian. Whole words, in any case.
ENGLISH = [
    "Skip to main content", "Toggle theme", "Show counts", "Hide counts", "Model name", "Add link",
    "Change or view", "Breadcrumbs", "Sidebar", "Start typing", "Filter navigation",
    "Access", "Account", "Appointment", "Appointments", "Attempt", "Attempts", "Axes", "Backend", "Confirmed",
    "Created", "Device", "Devices", "Expires", "Failed", "Failures", "Locked", "Logout", "Method", "Name", "Offer",
    "Offers", "Otp", "Otp_Totp", "Path", "Priority", "Queue", "Ready", "Result", "Results", "Running", "Seen",
    "Session", "Sessions", "Slot", "Slots", "Successful", "Task", "Tasks", "Used", "User", "Username",
    "User Agent", "Waitlist", "Enqueued", "Started", "Finished", "Full name", "Booked", "Cancelled", "Blocked",
    "Joined", "Held", "Answered", "Ended", "Starts", "Order", "Description", "Reason", "Patient", "Reminded",
]  # fmt: skip
ENGLISH_WORD = re.compile(r"(?<![\w-])(" + "|".join(re.escape(word) for word in ENGLISH) + r")(?![\w-])", re.I)


def visible_text(page: str) -> str:
    """The text a person reads, without the rows of a list: what is in them is data (an audit event's actor
    «user:1»), not the admin's words."""
    page = re.sub(r"(?is)<(script|style|template|tbody)\b.*?</\1>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"(?s)<[^>]+>", " ", page)))


def english_in(text: str) -> list[str]:
    return sorted({match.group(0) for match in ENGLISH_WORD.finditer(text)})


def _changelists():
    return sorted(f"{ADMIN}{model._meta.app_label}/{model._meta.model_name}/" for model in admin.site._registry)


@pytest.fixture
def chief(db):
    return client_for(make_staff("sjef", is_superuser=True))


def test_the_admin_index_is_norwegian(chief):
    response = chief.get(ADMIN)
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert english_in(text) == [], text
    for name in ["Hopp til hovedinnhold", "Innloggingssperre", "Bakgrunnsjobber", "Autentiseringsapper"]:
        assert name in text


@pytest.mark.parametrize("url", _changelists())
def test_every_change_list_is_norwegian(chief, url):
    response = chief.get(url)
    assert response.status_code == 200, url
    changelist = response.context["cl"]
    headers = [header["text"] for header in result_headers(changelist)]
    filters = [str(spec.title) for spec in changelist.filter_specs]
    found = {
        "page": english_in(visible_text(response.content.decode())),
        "headers": english_in(visible_text(" | ".join(map(str, headers)))),
        "filters": english_in(" | ".join(filters)),
    }
    assert found == {"page": [], "headers": [], "filters": []}, (headers, filters)


@pytest.mark.parametrize("url", _changelists())
def test_filter_titles_are_written_as_the_admins_own(chief, url):
    """«Etter status», so «Etter tidspunkt for forsøket», not «Etter Tidspunkt for forsøket»: a field's name is
    lower case in the catalogue (the admin capitalises its column headers itself); only a name that begins with
    an abbreviation («IP-adresse») keeps its capital."""
    filters = [str(spec.title) for spec in chief.get(url).context["cl"].filter_specs]
    capitalised = [title for title in filters if title[:1].isupper() and not re.match(r"[A-ZÆØÅ]{2,}", title)]
    assert capitalised == [], (url, filters)
