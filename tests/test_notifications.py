"""Where outgoing SMS and e-mail go, what they cost, and the caps against SMS pumping."""

import functools
import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from eportal.notifications import backends
from eportal.notifications.models import OutboxMessage, SmsLedgerEntry
from eportal.notifications.sms import SmsLimitReached, send_sms
from tests.helpers import run_concurrently

NOTICE = SmsLedgerEntry.Purpose.NOTICE
LOGIN_CODE = SmsLedgerEntry.Purpose.LOGIN_CODE


def test_tests_keep_sms_in_memory_and_every_sms_is_in_the_ledger_with_its_price(db, settings):
    settings.EPORTAL_SMS_PRICE_NOK = "1.25"
    send_sms(to="+4791234567", text="Du har en ny melding i e-portalen.", purpose=NOTICE, ip="127.0.0.1")
    assert backends.sms_outbox == [{"to": "+4791234567", "text": "Du har en ny melding i e-portalen."}]
    entry = SmsLedgerEntry.objects.get()
    assert (entry.recipient, entry.price_nok, entry.status, entry.ip) == (
        "+4791234567",
        Decimal("1.25"),
        "sent",
        "127.0.0.1",
    )
    assert not OutboxMessage.objects.exists()


def test_demo_prints_and_keeps_sms_and_email_for_the_outbox_page(client, db, settings, capsys):
    settings.EPORTAL_SMS_BACKEND = "eportal.notifications.backends.OutboxSmsBackend"
    settings.EMAIL_BACKEND = "eportal.notifications.backends.OutboxEmailBackend"
    settings.EPORTAL_DEMO_OUTBOX = True
    send_sms(to="+4791234567", text="Engangspassord: 123456", purpose=NOTICE)
    mail.send_mail(
        "Aktiver brukeren din", "Trykk på lenken: http://127.0.0.1:8000/aktiver/abc/", None, ["kari@example.com"]
    )
    printed = capsys.readouterr().err
    assert "SMS til +4791234567" in printed and "Engangspassord: 123456" in printed
    assert "E-post til kari@example.com: Aktiver brukeren din" in printed
    html = client.get("/demo/utboks/").content.decode()
    assert "Engangspassord: 123456" in html and "Aktiver brukeren din" in html
    assert html.index("Aktiver brukeren din") < html.index("Engangspassord: 123456")  # newest first
    assert 'href="http://127.0.0.1:8000/aktiver/abc/"' in html


def test_production_without_a_provider_says_sms_cannot_be_sent_and_charges_nothing(db, settings):
    settings.EPORTAL_SMS_BACKEND = "eportal.notifications.backends.UnconfiguredSmsBackend"
    with pytest.raises(backends.SmsNotSent, match="fikk ikke sendt SMS"):
        send_sms(to="+4791234567", text="x", purpose=NOTICE)
    entry = SmsLedgerEntry.objects.get()
    assert (entry.status, entry.price_nok) == ("failed", Decimal(0))


def test_caps_per_account_per_ip_and_global(db, settings, django_user_model):
    settings.EPORTAL_SMS_CAP_ACCOUNT_15MIN, settings.EPORTAL_SMS_CAP_IP_15MIN = 3, 5
    settings.EPORTAL_SMS_CAP_GLOBAL_DAY = 8
    user = django_user_model.objects.create_user("personale-a")
    for _ in range(3):
        send_sms(to="+4791234567", text="kode", purpose=LOGIN_CODE, user=user, ip="10.0.0.1")
    with pytest.raises(SmsLimitReached, match="For mange SMS"):
        send_sms(to="+4791234567", text="kode", purpose=LOGIN_CODE, user=user, ip="10.0.0.9")
    for _ in range(2):
        send_sms(to="+4791234568", text="kode", purpose=NOTICE, ip="10.0.0.1")
    with pytest.raises(SmsLimitReached):  # the address's cap, whoever the account
        send_sms(to="+4791234569", text="kode", purpose=NOTICE, ip="10.0.0.1")
    for _ in range(3):
        send_sms(to="+4791234570", text="kode", purpose=NOTICE, ip="10.0.0.2")
    with pytest.raises(SmsLimitReached):  # the whole portal's daily cap
        send_sms(to="+4791234571", text="kode", purpose=NOTICE, ip="10.0.0.3")
    assert len(backends.sms_outbox) == 8
    assert SmsLedgerEntry.objects.count() == 8


def test_notices_and_login_codes_are_capped_apart_per_account(db, settings, django_user_model):
    """A patient who logs in, books and is offered earlier times all day still gets the offers, and can
    still log in after them."""
    settings.EPORTAL_SMS_CAP_ACCOUNT_15MIN, settings.EPORTAL_SMS_CAP_ACCOUNT_DAY = 3, 6
    user = django_user_model.objects.create_user("pasient")
    for _ in range(2):
        send_sms(to="+4791234567", text="kode", purpose=LOGIN_CODE, user=user)
    for _ in range(6):  # not under the 15-minute cap
        send_sms(to="+4791234567", text="varsel", purpose=NOTICE, user=user)
    with pytest.raises(SmsLimitReached):  # the day cap for notices
        send_sms(to="+4791234567", text="varsel", purpose=NOTICE, user=user)
    send_sms(to="+4791234567", text="kode", purpose=LOGIN_CODE, user=user)  # the notices did not use it up
    with pytest.raises(SmsLimitReached):  # the codes' 15-minute cap
        send_sms(to="+4791234567", text="kode", purpose=LOGIN_CODE, user=user)
    assert len(backends.sms_outbox) == 9


class SlowMemorySmsBackend(backends.MemorySmsBackend):
    """Takes 0.3 s per SMS, as a gateway may: the parallel sends then overlap where a cap could leak."""

    def send(self, *, to, text, reference=""):
        time.sleep(0.3)
        return super().send(to=to, text=text, reference=reference)


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_cannot_pass_the_sms_cap_together(settings, django_user_model):
    settings.EPORTAL_SMS_BACKEND = "tests.test_notifications.SlowMemorySmsBackend"
    settings.EPORTAL_SMS_CAP_ACCOUNT_15MIN = 3
    user = django_user_model.objects.create_user("personale-b")
    send = functools.partial(send_sms, to="+4791234567", text="kode", purpose="login_code", user=user, ip="10.1.1.1")
    outcomes = run_concurrently([send] * 12, error=SmsLimitReached)
    outcomes = ["capped" if isinstance(outcome, SmsLimitReached) else "sent" for outcome in outcomes]
    assert outcomes.count("sent") == 3 and outcomes.count("capped") == 9
    assert SmsLedgerEntry.objects.filter(user=user).count() == 3


class _FakeGateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"auth": self.headers["Authorization"], "json": json.loads(body)})
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "gw-42"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeGateway.received, _FakeGateway.status = [], 200
    settings.EPORTAL_SMS_BACKEND = "eportal.notifications.backends.HttpSmsBackend"
    settings.EPORTAL_SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/sms"
    settings.EPORTAL_SMS_HTTP_TOKEN = "token-for-test"
    settings.EPORTAL_SMS_SENDER = "Gjerdrum"
    yield _FakeGateway
    server.shutdown()
    server.server_close()


def test_http_backend_posts_json_with_the_token_and_records_the_providers_id(db, gateway):
    entry = send_sms(to="+4791234567", text="Du har en ny melding.", purpose=NOTICE)
    assert gateway.received == [
        {
            "auth": "Bearer token-for-test",
            "json": {"to": "+4791234567", "from": "Gjerdrum", "text": "Du har en ny melding."},
        }
    ]
    assert entry.provider_id == "gw-42" and entry.status == "sent"


def test_http_backend_error_answer_is_a_clear_failure(db, gateway):
    gateway.status = 503
    with pytest.raises(backends.SmsNotSent, match="fikk ikke sendt SMS"):
        send_sms(to="+4791234567", text="x", purpose=NOTICE)
    assert SmsLedgerEntry.objects.get().status == "failed"


def test_http_backend_unreachable_gateway_is_a_clear_failure(db, settings):
    settings.EPORTAL_SMS_BACKEND = "eportal.notifications.backends.HttpSmsBackend"
    settings.EPORTAL_SMS_HTTP_URL = "http://127.0.0.1:9/sms"
    with pytest.raises(backends.SmsNotSent):
        send_sms(to="+4791234567", text="x", purpose=NOTICE)
