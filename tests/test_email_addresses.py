"""What an e-mail address in the portal may be (identity.email), and that the demo and the forms keep to it."""

import pytest

from eportal.accounts.forms import BankIdNewUserForm, EmailChangeForm, RegistrationForm, ResendActivationForm
from eportal.accounts.models import User
from eportal.clinic.models import ListPatient
from eportal.demo.clinic import ascii_name, seed_demo_clinic
from eportal.identity.email import MAX_LENGTH, InvalidEmail, parse_email

NOT_ASCII = "Bruk bokstavene a–z foran @, ikke æ, ø, å eller bokstaver med aksent."


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sørensen", "sorensen"),
        ("Åsheim", "asheim"),
        ("Bjørnæs", "bjornaes"),
        ("ÆRØ", "aero"),
        ("Zoë José", "zoe jose"),
    ],
)
def test_the_demo_writes_names_in_addresses_without_norwegian_letters_and_accents(name, expected):
    assert ascii_name(name) == expected


def test_every_address_the_demo_clinic_writes_passes_the_rule(db):
    seed_demo_clinic()
    addresses = list(ListPatient.objects.exclude(email="").values_list("email", flat=True))
    assert len(addresses) > 2000
    assert [address for address in addresses if parse_email(address) != address] == []
    assert any(".sorensen." in address for address in addresses)  # Sørensen, in the demo's names


def test_the_rule_strips_spaces_and_refuses_the_empty():
    assert parse_email("  kari@example.com\t") == "kari@example.com"
    for value in ("", "   ", None, "@example.com", "kari@", "kari nordmann@example.com"):
        with pytest.raises(InvalidEmail):
            parse_email(value)


def test_the_registry_holds_every_address_the_rule_accepts():
    for field in (User._meta.get_field("email"), User._meta.get_field("pending_email")):
        assert field.max_length == MAX_LENGTH
    assert ListPatient._meta.get_field("email").max_length == MAX_LENGTH


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (lambda data: RegistrationForm(data, clinic_name="Gjerdrum legesenter"), "email"),
        (ResendActivationForm, "email"),
        (lambda data: EmailChangeForm(data, high=True), "new_email"),
        (lambda data: BankIdNewUserForm(data, clinic_name="Gjerdrum legesenter", national_id="x"), "email"),
    ],
    ids=["registration", "new-activation-link", "email-change", "bankid-new-user"],
)
def test_every_form_that_takes_an_address_keeps_to_the_rule(form, field):
    refused = form({field: "kari.sørensen@example.com"})
    assert not refused.is_valid() and refused.errors[field] == [NOT_ASCII]
    assert 'maxlength="254"' in str(refused[field])
    accepted = form({field: " kari.sorensen@example.com "})
    accepted.is_valid()
    assert field not in accepted.errors and accepted.cleaned_data[field] == "kari.sorensen@example.com"
