"""Where outgoing SMS and e-mail go in each mode."""

import pytest
from django.core import mail

from eportal.notifications import backends
from eportal.notifications.models import OutboxMessage
from eportal.notifications.services import send_sms


def test_tests_keep_sms_in_memory(db):
    send_sms(to="+4791234567", text="Du har en ny melding i e-portalen.")
    assert backends.sms_outbox == [{"to": "+4791234567", "text": "Du har en ny melding i e-portalen."}]
    assert not OutboxMessage.objects.exists()


def test_demo_prints_and_keeps_sms_and_email_for_the_outbox_page(client, db, settings, capsys):
    settings.EPORTAL_SMS_BACKEND = "eportal.notifications.backends.OutboxSmsBackend"
    settings.EMAIL_BACKEND = "eportal.notifications.backends.OutboxEmailBackend"
    settings.EPORTAL_DEMO_OUTBOX = True
    send_sms(to="+4791234567", text="Engangspassord: 123456")
    mail.send_mail(
        "Aktiver brukeren din",
        "Trykk på lenken: http://127.0.0.1:8000/aktiver/abc/",
        None,
        ["kari@example.com"],
    )
    printed = capsys.readouterr().err
    assert "SMS til +4791234567" in printed and "Engangspassord: 123456" in printed
    assert "E-post til kari@example.com: Aktiver brukeren din" in printed
    html = client.get("/demo/utboks/").content.decode()
    assert "Engangspassord: 123456" in html and "Aktiver brukeren din" in html
    assert html.index("Aktiver brukeren din") < html.index("Engangspassord: 123456")  # newest first
    assert 'href="http://127.0.0.1:8000/aktiver/abc/"' in html


def test_production_without_a_provider_says_sms_cannot_be_sent(settings):
    settings.EPORTAL_SMS_BACKEND = "eportal.notifications.backends.UnconfiguredSmsBackend"
    with pytest.raises(backends.SmsNotSent, match="kan ikke sende SMS"):
        send_sms(to="+4791234567", text="x")
