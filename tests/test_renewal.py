"""«Reseptfornyelse»: a patient (password + SMS is enough) names the medicines, the request goes to their GP's
inbox, free; «Forny igjen» offers earlier medicines; staff answer with the template; bad input stores nothing."""

import uuid

import pytest
from django.test import override_settings

from eportal.accounts.models import User
from eportal.core.actor import system_actor
from eportal.messaging import renewals, services
from eportal.messaging.models import Consultation, Medicine, Message, ReplyTemplate, Thread
from eportal.notifications import backends
from eportal.representation.policy import Capability
from tests import factories
from tests.accounts_fixtures import act_for
from tests.factories import grant_for
from tests.helpers import run_tasks

PAGE = "/reseptfornyelse/"


def rows(*medicines, total=None, **extra) -> dict:
    data = {"medisin-TOTAL_FORMS": str(total or len(medicines)), "medisin-INITIAL_FORMS": "0"}
    for number, medicine in enumerate(medicines):
        for field, value in medicine.items():
            data[f"medisin-{number}-{field}"] = value
    return {"submit_id": str(uuid.uuid4()), **data, **extra}


METFORMIN = {"name": "Metformin", "strength": "500 mg", "usage": "1 tablett morgen og kveld", "note": ""}
LEVAXIN = {"name": "Levaxin", "strength": "50 mikrogram", "usage": "1 om morgenen", "note": "Snart tom"}


def test_the_page_has_a_row_per_medicine_with_labels(logged_in):
    page = logged_in.get(PAGE).content.decode()
    assert page.count('name="medisin-0-name"') == 1 and 'name="medisin-2-name"' in page
    assert '<label for="id_medisin-0-name">' in page and '<label for="id_medisin-0-strength">' in page


def test_a_renewal_goes_to_the_gps_inbox_free_with_each_medicine(logged_in, family):
    response = logged_in.post(PAGE, rows(METFORMIN, LEVAXIN, {}))
    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/meldinger/{thread.pk}/"
    assert thread.kind == Thread.Kind.RENEWAL and thread.practitioner == family["gp"] and thread.waiting_since
    assert not Consultation.objects.exists()  # nothing to pay
    body = thread.messages.get().body
    assert "1. Metformin 500 mg: 1 tablett morgen og kveld" in body and "2. Levaxin 50 mikrogram" in body
    assert "Snart tom" in body
    assert [m.details["name"] for m in thread.medicines.all()] == ["Metformin", "Levaxin"]
    assert "Metformin" not in Medicine.objects.get(position=1).details_sealed  # sealed at rest
    assert "Metformin" in thread.subject


@pytest.mark.parametrize(
    "data",
    [
        rows({}, {}),  # no medicine named
        rows({"strength": "500 mg", "usage": "morgen"}),  # a row without a name
        rows({**METFORMIN, "name": "M" * 101}),  # an overlong name
        rows({"name": "Metformin\x00"}),  # a control character
    ],
)
def test_bad_rows_are_refused_and_nothing_stored(logged_in, data):
    response = logged_in.post(PAGE, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page or "field-invalid" in page  # the service's refusal, or the field's
    assert not Thread.objects.exists() and not Medicine.objects.exists()


@override_settings(EPORTAL_RENEWAL_MAX_MEDICINES=3)
def test_an_overlong_list_is_refused(logged_in):
    four = rows(*[{"name": f"Medisin {n}"} for n in range(4)])
    response = logged_in.post(PAGE, four)
    assert response.status_code == 400 and not Thread.objects.exists()
    assert "3" in response.content.decode()
    flood = rows({"name": "Medisin"}, total=5000)  # more rows than any form shows: refused unread
    assert logged_in.post(PAGE, flood).status_code == 400 and not Thread.objects.exists()


def test_a_missing_management_form_is_refused_not_a_500(logged_in):
    response = logged_in.post(PAGE, {"medisin-0-name": "Metformin"})
    assert response.status_code == 400 and not Thread.objects.exists()


def test_add_a_medicine_keeps_what_was_written_and_adds_a_row(logged_in):
    response = logged_in.post(PAGE, rows(METFORMIN, action="more"))
    page = response.content.decode()
    assert response.status_code == 200 and not Thread.objects.exists()
    assert 'value="Metformin"' in page and 'name="medisin-1-name"' in page


def test_a_double_submit_sends_one_request(logged_in):
    data = rows(METFORMIN)
    first, second = logged_in.post(PAGE, data), logged_in.post(PAGE, data)
    assert first["Location"] == second["Location"]
    assert Thread.objects.count() == 1 and Medicine.objects.count() == 1


def test_renew_again_fills_the_form_with_an_earlier_medicine_of_ones_own_only(logged_in, family):
    logged_in.post(PAGE, rows(METFORMIN, LEVAXIN))
    logged_in.post(PAGE, rows(METFORMIN))
    page = logged_in.get(PAGE).content.decode()
    assert page.count("?forny=") == 2  # Metformin 500 mg once, however often asked for
    levaxin = Medicine.objects.get(position=2)
    again = logged_in.get(f"{PAGE}?forny={levaxin.pk}").content.decode()
    assert 'name="medisin-0-name" value="Levaxin"' in again.replace('maxlength="100" ', "")
    other = factories.list_patient(family["gp"])
    renewals.request_renewal(grant=grant_for(other, Capability.RENEWAL), medicines=[{"name": "Fremmedmedisin"}])
    theirs = Medicine.objects.get(thread__patient=other)
    assert "Fremmedmedisin" not in logged_in.get(f"{PAGE}?forny={theirs.pk}").content.decode()
    for bad in ("abc", "²", "٣", "9" * 12):  # «²» and «٣» are digits to str.isdigit but not to int()
        assert logged_in.get(f"{PAGE}?forny={bad}").status_code == 200


def test_a_guardian_renews_for_a_child_under_12(logged_in, family):
    act_for(logged_in, family["emma"].pk)
    data = rows({"name": "Paracet", "strength": "250 mg"}, for_patient=str(family["emma"].pk))
    assert logged_in.post(PAGE, data).status_code == 302
    thread = Thread.objects.get()
    assert thread.patient == family["emma"] and thread.messages.get().author_role == Message.Role.GUARDIAN


def test_a_form_opened_for_another_person_is_refused(logged_in, family):
    act_for(logged_in, family["emma"].pk)
    data = rows(METFORMIN, for_patient=str(family["kari"].pk))
    assert logged_in.post(PAGE, data).status_code == 400 and not Thread.objects.exists()


def gp_actor(family):
    """The GP's staff login, which reads their inbox (and nothing else)."""
    user = User.objects.create_user("lege", is_staff=True, first_name="Ingrid", last_name="Haugen")
    family["gp"].user = user
    family["gp"].save()
    return system_actor(user=user)


def test_staff_answer_with_the_template_and_the_patient_is_told_without_content(logged_in, family):
    logged_in.post(PAGE, rows(METFORMIN))
    thread = Thread.objects.get()
    template = ReplyTemplate.objects.get(title="Resepten er sendt")  # every clinic has it from the start
    services.reply(actor=gp_actor(family), thread_id=thread.pk, body=template.text, close=True)
    run_tasks()
    assert backends.sms_outbox and all("Metformin" not in sms["text"] for sms in backends.sms_outbox)
    page = logged_in.get(f"/meldinger/{thread.pk}/").content.decode()
    assert "Resepten er sendt til e-resept" in page
