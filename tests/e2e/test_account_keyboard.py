"""The registration form works with the keyboard alone, and its errors can be found and are tied to their fields."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Locator, Page, expect

from tests.helpers import run_tasks

from .account_steps import CONSENT_LABEL, EMAIL, PASSWORD, REGISTRATION_LABELS, h1, local_mobile
from .browser import focused_html, tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The messages the person must hear on the fields that have their own wording; the rest say "required".
OWN_MESSAGES = {
    REGISTRATION_LABELS["national_id"]: "Skriv personnummeret ditt.",
    CONSENT_LABEL: "Du må godkjenne bruk av e-post og SMS for å opprette bruker.",
}


def next_field(page: Page, field: Locator) -> None:
    """One Tab must take focus to this field: the tab order follows the form's visible order."""
    page.keyboard.press("Tab")
    expect(field, f"Tab went to {focused_html(page)}").to_be_focused()


def test_registration_by_keyboard_alone(open_page, patient):
    page = open_page("/registrer/")
    fields = [page.get_by_label(label, exact=True) for label in REGISTRATION_LABELS.values()]
    consent = page.get_by_label(CONSENT_LABEL)
    submit = page.get_by_role("button", name="OPPRETT NY BRUKER")

    # The skip link leads straight to the form: Tab, Enter, Tab lands in the first field.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Hopp til innholdet")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(fields[0], f"after the skip link, Tab went to {focused_html(page)}").to_be_focused()

    # Through the empty form in order, and send it with Enter on the button.
    for field in [*fields[1:], consent, submit]:
        next_field(page, field)
    page.keyboard.press("Enter")

    # (The form posts to the page's own address, so the skip link's "#main" stays on.)
    expect(page).to_have_url(re.compile(r"/registrer/(#main)?$"))
    expect(h1(page)).to_have_text("Mine opplysninger")
    errors = page.locator(".errorlist")
    expect(errors).to_have_count(len(fields) + 1)

    # Every error is tied to its field: the field is marked invalid and the message is its description.
    labels = [*REGISTRATION_LABELS.values(), CONSENT_LABEL]
    fields_with_consent = [*fields, consent]
    for label, field in zip(labels, fields_with_consent, strict=True):
        message = page.locator(".field", has=field).locator(".errorlist").inner_text().strip()
        assert message, f"no error message shown at {label!r}"
        if label in OWN_MESSAGES:
            assert message == OWN_MESSAGES[label], f"{label!r} says {message!r}"
        expect(field, f"{label!r} is not marked invalid").to_have_attribute("aria-invalid", "true")
        expect(field, f"{label!r} does not point at its error").to_have_accessible_description(
            re.compile(re.escape(message))
        )

    # The first field in error is reachable by Tab from the top of the reloaded page.
    presses = tab_to(page, fields[0])
    assert presses <= 6, f"{presses} presses of Tab to reach the first error (skip link, 4 header links, field)"

    # Fill it in with typing, Tab and Space, and send it with Enter.
    page.keyboard.type(patient.national_id)
    values = [EMAIL, local_mobile(patient.mobile), PASSWORD, PASSWORD]
    for field, value in zip(fields[1:], values, strict=True):
        next_field(page, field)
        page.keyboard.type(value)
    next_field(page, consent)
    page.keyboard.press("Space")
    expect(consent).to_be_checked()
    next_field(page, submit)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/registrer/sendt/(#main)?$"))
    expect(h1(page)).to_have_text("Sjekk e-posten din")
    run_tasks()
    assert [message.to for message in mail.outbox] == [[EMAIL]], "the registration did not send the activation e-mail"
