"""«eKonsultasjon»: only from a BankID login (a password + SMS session is sent to BankID and back), the urgent
check first, the price shown and confirmed before sending, the consultation in the GP's inbox with the price it
was sent at; a guardian sends one for a child under 12 but not for a 12-year-old; bad input stores nothing."""

import datetime
import re
import uuid

import pytest
from django.test import override_settings
from django.utils import timezone

from eportal.clinic.models import Guardianship
from eportal.core.actor import HIGH, SUBSTANTIAL, Actor, system_actor
from eportal.messaging import consultations, services
from eportal.messaging.errors import MessagingError
from eportal.messaging.models import Consultation, Message, Thread
from eportal.representation.policy import Capability, grant
from tests import factories
from tests.accounts_fixtures import act_for, log_in, register_and_activate
from tests.factories import photo
from tests.helpers import client_for, make_staff
from tests.oidc_fixtures import provider_login

CHECK = "/ekonsultasjon/"
FORM = "/ekonsultasjon/skjema/?ingen-hast=ja"


def shown_version(page: str) -> str:
    return re.search(r'name="price_version" value="([0-9a-f]+)"', page)[1]


def consultation_form(client, **fields) -> dict:
    page = client.get(FORM).content.decode()
    return {
        "subject": "Vond hals",
        "body": "Jeg har hatt vondt i halsen i en uke, uten feber. Trenger jeg å komme inn?",
        "price_confirmed": "on",
        "price_version": shown_version(page),
        "no_urgent_symptoms": "True",
        "submit_id": str(uuid.uuid4()),
        **fields,
    }


def test_the_check_comes_first_and_urgent_symptoms_lead_to_113_and_legevakt(logged_in):
    page = logged_in.get(CHECK).content.decode()
    assert "113" in page and "/ekonsultasjon/skjema/?ingen-hast=ja" in page
    urgent = logged_in.get(CHECK + "?hast=ja").content.decode()
    assert 'href="tel:113"' in urgent and 'href="tel:116117"' in urgent
    assert "/ekonsultasjon/skjema/" not in urgent and 'name="hast"' not in urgent


def test_the_form_without_the_check_goes_back_to_the_check(bankid_kari):
    response = bankid_kari.get("/ekonsultasjon/skjema/")
    assert response.status_code == 302 and response["Location"] == "/ekonsultasjon/"


def test_a_password_session_is_sent_to_bankid_and_back_to_the_form(logged_in, family, bankid):
    response = logged_in.get(FORM)
    assert response.status_code == 302
    assert response["Location"].startswith("/logg-inn/bankid/?") and "niva=high" in response["Location"]
    back, _ = provider_login(logged_in, family["kari"].national_id, start=response["Location"])
    assert back.status_code == 302 and back["Location"] == FORM
    page = logged_in.get(FORM).content.decode()
    assert 'name="price_confirmed"' in page and 'data-price="daytime"' in page


def test_a_post_from_a_password_session_is_refused_and_nothing_stored(logged_in):
    response = logged_in.post("/ekonsultasjon/skjema/", {"subject": "x", "body": "y", "price_confirmed": "on"})
    assert response.status_code == 302 and response["Location"].startswith("/logg-inn/bankid/")
    assert not Thread.objects.exists()


def test_the_service_refuses_a_session_below_bankid(family, kari_account):
    granted = grant(Actor(user=kari_account, level=SUBSTANTIAL), Capability.EKONSULTASJON)
    quote = consultations.quote_for(granted)
    with pytest.raises(MessagingError) as refused:
        consultations.send_consultation(
            grant=granted, subject="Hals", body="Vondt", no_urgent_symptoms=True, price_confirmed=True,
            price_version=quote.version,
        )  # fmt: skip
    assert refused.value.code == "bankid_required"
    assert not Thread.objects.exists() and not Consultation.objects.exists()


def test_the_price_is_shown_and_the_consultation_goes_to_the_gp_with_it(bankid_kari, family):
    family["gp"].specialist = True
    family["gp"].save()
    page = bankid_kari.get(FORM).content.decode()
    assert re.search(r'data-price="daytime"[^>]*>244 kr<', page)  # 183 + the specialist supplement 61
    assert re.search(r'data-price="evening"[^>]*>354 kr<', page)  # 293 + 61
    response = bankid_kari.post(FORM, consultation_form(bankid_kari))
    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/meldinger/{thread.pk}/"
    assert thread.kind == Thread.Kind.EKONSULTASJON and thread.practitioner == family["gp"]
    assert thread.answer_due and thread.answer_due > timezone.localdate()
    consultation = thread.consultation
    assert consultation.fee_table == {
        "daytime": "183", "evening": "293", "specialist_supplement": "61", "invoice_fee": "0",
    }  # fmt: skip
    assert consultation.specialist and consultation.exemption == "" and consultation.billed_at is None


def test_a_price_changed_in_the_form_is_never_used(bankid_kari):
    form = consultation_form(bankid_kari, amount="0", price="0", base_fee="0")
    bankid_kari.post(FORM, form)
    consultation = Consultation.objects.get()
    assert consultation.fee_table["daytime"] == "183" and consultation.exemption == ""


def test_a_tampered_or_outdated_price_asks_for_confirmation_again_and_stores_nothing(bankid_kari):
    form = consultation_form(bankid_kari)
    response = bankid_kari.post(FORM, {**form, "price_version": "0000000000000000"})
    assert response.status_code == 400 and not Thread.objects.exists()
    with override_settings(EPORTAL_EKONSULTASJON_FEE_DAYTIME_NOK=200):
        response = bankid_kari.post(FORM, form)  # the page showed 183
        assert response.status_code == 400 and not Thread.objects.exists()
        assert re.search(r'data-price="daytime"[^>]*>200 kr<', response.content.decode())
        again = {**form, "price_version": shown_version(response.content.decode())}
        assert bankid_kari.post(FORM, again).status_code == 302
    assert Consultation.objects.get().fee_table["daytime"] == "200"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"price_confirmed": ""}, "price_not_confirmed"),
        ({"no_urgent_symptoms": "False"}, "urgent_not_ruled_out"),
        ({"exemption": "millionaire"}, None),  # not a choice: the form refuses it
        ({"body": "   "}, None),
        ({"subject": ""}, None),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(bankid_kari, fields, code):
    response = bankid_kari.post(FORM, consultation_form(bankid_kari, **fields))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page if code else "field-invalid" in page
    assert not Thread.objects.exists() and not Consultation.objects.exists()


def test_frikort_makes_it_free_and_staff_see_it(bankid_kari):
    bankid_kari.post(FORM, consultation_form(bankid_kari, exemption="frikort"))
    assert Consultation.objects.get().exemption == "frikort"


def test_a_double_submit_sends_one(bankid_kari):
    form = consultation_form(bankid_kari)
    first = bankid_kari.post(FORM, form)
    second = bankid_kari.post(FORM, form)
    assert first["Location"] == second["Location"]
    assert Thread.objects.count() == 1 and Consultation.objects.count() == 1 and Message.objects.count() == 1


def test_a_guardian_sends_one_for_a_child_under_12_free_of_charge(bankid_kari, family):
    act_for(bankid_kari, family["emma"].pk)
    page = bankid_kari.get(FORM).content.decode()
    assert 'data-price="daytime"' not in page  # free: under 16, no table to confirm against
    form = consultation_form(bankid_kari, for_patient=str(family["emma"].pk))
    assert bankid_kari.post(FORM, form).status_code == 302
    thread = Thread.objects.get()
    assert thread.patient == family["emma"] and thread.consultation.exemption == "under_16"
    assert thread.messages.get().author_role == Message.Role.GUARDIAN


def test_a_guardian_of_a_12_year_old_may_not_send_either_kind(client, family, bankid):
    twelve = factories.list_patient(
        family["gp"], national_id=factories.national_id(timezone.localdate() - datetime.timedelta(days=12 * 366))
    )
    Guardianship.objects.create(child=twelve, guardian_national_id=family["kari"].national_id)
    register_and_activate(client, family["kari"])
    provider_login(client, family["kari"].national_id)
    act_for(client, twelve.pk)
    for url in (CHECK, FORM, "/reseptfornyelse/"):
        assert client.get(url).status_code == 403, url
    assert client.post("/reseptfornyelse/", {"medisin-TOTAL_FORMS": "1"}).status_code == 403
    assert not Thread.objects.exists()


def test_the_patient_replies_to_the_gps_question_only_with_bankid(bankid_kari, family, client):
    bankid_kari.post(FORM, consultation_form(bankid_kari))
    thread = Thread.objects.get()
    substantial = Actor(user=thread.messages.get().author, level=SUBSTANTIAL)
    with pytest.raises(MessagingError) as refused:
        services.write(grant=grant(substantial, Capability.MESSAGES), thread_id=thread.pk, body="Svar")
    assert refused.value.code == "bankid_required"
    high = Actor(user=substantial.user, level=HIGH)
    services.write(grant=grant(high, Capability.MESSAGES), thread_id=thread.pk, body="Ingen feber.")
    assert thread.messages.count() == 2
    # The page at the substantial level offers BankID instead of the reply form.
    log_in(client, family["kari"])
    page = client.get(f"/meldinger/{thread.pk}/").content.decode()
    assert "/logg-inn/bankid/?niva=high" in page and 'name="body"' not in page


def test_attachments_go_with_an_ekonsultasjon(bankid_kari):
    form = consultation_form(bankid_kari, attachments=photo())
    assert bankid_kari.post(FORM, form).status_code == 302
    assert Message.objects.get().attachments.count() == 1


def test_the_gps_inbox_shows_kind_and_promised_date_and_overdue_ones_stand_out(bankid_kari, family):
    bankid_kari.post(FORM, consultation_form(bankid_kari))
    late = Thread.objects.get()
    Thread.objects.filter(pk=late.pk).update(answer_due=timezone.localdate() - datetime.timedelta(days=1))
    gp_user = make_staff("lege", "view_thread")
    family["gp"].user = gp_user
    family["gp"].save()
    gp = client_for(gp_user)
    page = gp.get(f"/personale/meldinger/{family['gp'].pk}/").content.decode()
    row = re.search(r'<tr class="inbox-row[^"]*thread-overdue[^"]*">.*?</tr>', page, re.S)[0]
    assert "Vond hals" in row and "eKonsultasjon" in row
    conversation = gp.get(f"/personale/meldinger/samtale/{late.pk}/").content.decode()
    assert 'class="overdue"' in conversation and "183 kr" in conversation and "293 kr" in conversation
    staff = system_actor(user=gp_user)
    services.reply(actor=staff, thread_id=late.pk, body="Det høres ut som en virusinfeksjon.", close=True)
    consultation = Consultation.objects.get()
    assert consultation.billed and consultation.takst in ("2ae", "2aek") and consultation.amount in (183, 293)
    fixed = gp.get(f"/personale/meldinger/samtale/{late.pk}/").content.decode()
    assert consultation.takst in fixed and f"{consultation.amount:.0f} kr" in fixed
    assert "thread-overdue" not in gp.get(f"/personale/meldinger/{family['gp'].pk}/?vis=alle").content.decode()


def test_a_guardian_in_the_childs_own_user_is_told_to_use_bankid_as_themselves(client, family):
    register_and_activate(client, family["emma"])
    log_in(client, family["emma"])
    page = client.get(CHECK).content.decode()
    assert "BankID viser hvem du er, ikke barnet." in page
    assert "/ekonsultasjon/skjema/" not in page


@override_settings(EPORTAL_EKONSULTASJON_EXEMPT_GROUPS=[])
def test_with_no_exempt_groups_configured_only_frikort_and_children_are_named(logged_in):
    page = logged_in.get(CHECK).content.decode()
    assert "Det er gratis for barn under 16 år og for dem som har frikort for egenandel." in page
    assert "Svangerskap" not in page
