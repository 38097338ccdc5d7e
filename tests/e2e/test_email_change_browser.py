"""Changing the e-mail address in Chromium: asked for on «Mine opplysninger», confirmed from the link by a
button, in another browser that is not logged in (where the new address's mail is read)."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

from eportal.accounts.models import User
from tests.accounts_fixtures import PASSWORD
from tests.helpers import last_email_link, run_tasks

from .account_steps import EMAIL, h1, log_in, main
from .browser import format_violations, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_EMAIL = "sigrid.ny@example.com"


def test_the_link_opens_a_page_and_only_its_button_changes_the_address(open_page, live_server, patient_with_user):
    origin = live_server.url.rstrip("/")
    page = log_in(open_page, origin, patient_with_user)
    page.goto(origin + "/min-side/opplysninger/")
    page.get_by_label(re.compile(r"^Ny e-post")).fill(NEW_EMAIL)
    page.get_by_label(re.compile(r"^Passord")).fill(PASSWORD)
    page.get_by_role("button", name="ENDRE E-POST").click()
    expect(page.get_by_role("status")).to_have_text(
        "Vi har sendt en lenke til den nye adressen. Trykk på den for å bekrefte endringen."
    )

    link = urlsplit(last_email_link(to=NEW_EMAIL)).path
    confirm = open_page(link, bypass_csp=True)
    # The token leaves the address bar at once; opening the page (as a link scanner would) changes nothing.
    expect(confirm).to_have_url(re.compile(r"/e-post/[^/]+/$"))
    expect(h1(confirm)).to_have_text("Bekreft den nye e-postadressen din")
    expect(main(confirm)).not_to_contain_text(NEW_EMAIL)
    user = User.objects.get(national_id=patient_with_user.national_id)
    assert (user.email, user.pending_email) == (EMAIL, NEW_EMAIL)
    assert not (violations := run_axe(confirm)), format_violations(violations)

    main(confirm).get_by_role("button").click()
    expect(confirm).to_have_url(origin + "/")
    expect(confirm.get_by_role("status")).to_have_text("E-postadressen din er endret.")
    user.refresh_from_db()
    assert (user.email, user.pending_email) == (NEW_EMAIL, "")
    run_tasks()
    assert any(message.to == [EMAIL] for message in mail.outbox), "the old address is told of the change"
