"""Hostile and random input on every account form: a Norwegian message, never a 500, nothing stored."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eportal.accounts.models import User
from eportal.notifications.models import SmsLedgerEntry
from tests.accounts_fixtures import password_step

hostile_text = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "12345678901\x00",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "١٢٣٤٥٦٧٨٩٠١",
            "𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗𝟎𝟏",
            "+47 912 34 567\n",
            "a" * 5000,
            "\u202e12345678901",
        ]
    ),
)

FORMS = {
    "/registrer/": ["national_id", "email", "mobile", "new_password1", "new_password2", "consent"],
    "/logg-inn/engangspassord/": ["national_id", "password"],
    "/hjelp-til-innlogging/": ["national_id"],
    "/aktiver-ny-lenke/": ["national_id", "email"],
    "/personale/logg-inn/": ["username", "password", "otp_token"],
}


@pytest.mark.parametrize("path", list(FORMS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(hostile_text, min_size=6, max_size=6), as_list=st.booleans())
def test_random_and_hostile_values_get_a_clear_answer(client, family, path, values, as_list):
    data = dict(zip(FORMS[path], values, strict=False))
    if as_list:  # a field sent twice, as a tampering client may
        data = {key: [value, value] for key, value in data.items()}
    response = client.post(path, data)
    assert response.status_code in {200, 302, 400, 429}, response.status_code
    if response.status_code == 400:
        body = response.content.decode()
        assert 'lang="nb"' in body
        assert 'class="errorlist"' in body or 'class="form-error"' in body
    assert not User.objects.filter(is_active=True).exists()
    assert not SmsLedgerEntry.objects.exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=hostile_text)
def test_code_page_takes_any_value_without_a_500(client, family, kari_account, code):
    password_step(client, family["kari"])
    response = client.post("/logg-inn/kode/", {"code": code})
    assert response.status_code in {302, 400}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    uid=st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#%"), min_size=1, max_size=40
    ),
    token=st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#%"), min_size=1, max_size=120
    ),
)
def test_tampered_links_get_a_clear_page(client, family, uid, token):
    for prefix in ["/aktiver/", "/nytt-passord/", "/e-post/"]:
        response = client.get(f"{prefix}{uid}/{token}/", follow=True)
        assert response.status_code in {200, 400, 404}
        if response.status_code == 400:
            assert "Lenken er brukt, har gått ut på tid eller er ikke komplett." in response.content.decode()
