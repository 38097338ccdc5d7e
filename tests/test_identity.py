"""Fødselsnummer, D-nummer and mobile parsing, and the synthetic numbers the demo and the tests use."""

import datetime
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum.no import fodselsnummer

from eportal.identity.mobile import InvalidMobile, display_mobile, parse_mobile
from eportal.identity.national_id import InvalidNationalId, birth_date, is_synthetic, parse_national_id
from eportal.identity.synthetic import synthetic_national_id
from tests import factories

birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date.today())


@given(born=birth_dates, d_number=st.booleans(), seed=st.integers(0, 2**32))
def test_synthetic_numbers_are_valid_where_allowed_and_never_real(born, d_number, seed):
    number = synthetic_national_id(born, rng=random.Random(seed), d_number=d_number)
    assert parse_national_id(number, allow_synthetic=True) == number
    assert birth_date(number) == born
    assert is_synthetic(number)
    # A real person's month is 1-12: python-stdnum, which knows only real numbers, refuses it.
    assert not fodselsnummer.is_valid(number)
    with pytest.raises(InvalidNationalId):
        parse_national_id(number, allow_synthetic=False)


def test_patient_numbers_in_factories_are_unique():
    assert len({factories.national_id() for _ in range(300)}) == 300


@given(born=birth_dates, seed=st.integers(0, 2**32), position=st.integers(0, 10), digit=st.integers(0, 9))
def test_any_single_digit_change_is_rejected(born, seed, position, digit):
    number = synthetic_national_id(born, rng=random.Random(seed))
    assume(number[position] != str(digit))
    changed = number[:position] + str(digit) + number[position + 1 :]
    with pytest.raises(InvalidNationalId):
        parse_national_id(changed, allow_synthetic=True)


@st.composite
def real_scheme_numbers(draw):
    """11 digits in the real (non-synthetic) scheme, half of them with computed control digits."""
    day = draw(st.integers(1, 31)) + draw(st.sampled_from([0, 40]))  # fødselsnummer or D-nummer
    month, year, individual = draw(st.integers(1, 12)), draw(st.integers(0, 99)), draw(st.integers(0, 999))
    base = f"{day:02d}{month:02d}{year:02d}{individual:03d}"
    if draw(st.booleans()):
        k1 = fodselsnummer.calc_check_digit1(base)
        return base + k1[-1] + fodselsnummer.calc_check_digit2(base + k1[-1])[-1]
    return base + f"{draw(st.integers(0, 99)):02d}"


@settings(max_examples=500)
@given(real_scheme_numbers())
def test_agrees_with_stdnum_on_real_fodselsnummer_and_d_nummer(number):
    ours = True
    try:
        parse_national_id(number, allow_synthetic=False)
    except InvalidNationalId:
        ours = False
    assert ours == fodselsnummer.is_valid(number)


def test_spaces_and_dash_are_allowed_in_input():
    number = synthetic_national_id(datetime.date(1986, 4, 12), rng=random.Random(1))
    assert parse_national_id(f" {number[:6]} {number[6:]} ", allow_synthetic=True) == number
    assert parse_national_id(f"{number[:6]}-{number[6:]}", allow_synthetic=True) == number


@pytest.mark.parametrize("value", ["", "1234567890", "123456789012", "abcdefghijk", "1208861520٨", None])
def test_wrong_length_or_characters_say_eleven_digits(value):
    with pytest.raises(InvalidNationalId, match="11 siffer"):
        parse_national_id(value, allow_synthetic=True)


def test_h_number_and_future_birth_date_are_refused():
    born = datetime.date.today() + datetime.timedelta(days=30)
    future = synthetic_national_id(born.replace(year=born.year), rng=random.Random(3))
    with pytest.raises(InvalidNationalId):
        parse_national_id(future, allow_synthetic=True)
    # An H-number (month + 40) with valid control digits
    base = "1244860000"[:9]
    for individual in range(1000):
        candidate = f"124486{individual:03d}"
        k1 = fodselsnummer.calc_check_digit1(candidate)
        k2 = fodselsnummer.calc_check_digit2(candidate + k1) if len(k1) == 1 else "10"
        if len(k1) == 1 and len(k2) == 1:
            base = candidate + k1 + k2
            break
    assert fodselsnummer.is_valid(base)  # stdnum accepts H-numbers ...
    with pytest.raises(InvalidNationalId):
        parse_national_id(base, allow_synthetic=True)  # ... a GP's list does not hold them


def test_production_default_refuses_synthetic(settings):
    number = synthetic_national_id(datetime.date(1990, 1, 1), rng=random.Random(5))
    settings.EPORTAL_ALLOW_SYNTHETIC_IDS = False
    with pytest.raises(InvalidNationalId):
        parse_national_id(number)
    settings.EPORTAL_ALLOW_SYNTHETIC_IDS = True
    assert parse_national_id(number) == number


@given(st.text(max_size=40))
def test_any_text_gives_a_number_or_a_norwegian_message(value):
    try:
        number = parse_national_id(value, allow_synthetic=True)
    except InvalidNationalId as exc:
        assert "Personnummeret" in str(exc)
    else:
        assert len(number) == 11 and number.isdigit()


@pytest.mark.parametrize(
    "typed", ["91234567", "912 34 567", "+47 912 34 567", "0047 91234567", "+4791234567", "41234567"]
)
def test_norwegian_mobiles_are_stored_as_e164(typed):
    assert parse_mobile(typed) in {"+4791234567", "+4741234567"}


@pytest.mark.parametrize(
    "typed",
    ["22123456", "+46 70 123 45 67", "9123456", "912345678", "", "   ", "mobil", "+47 800 12 345", "1" * 200],
)
def test_landlines_foreign_and_malformed_numbers_are_refused(typed):
    with pytest.raises(InvalidMobile, match="norsk mobilnummer"):
        parse_mobile(typed)


@given(st.one_of(st.text(max_size=60), st.none(), st.integers(), st.binary(max_size=20)))
def test_any_value_gives_a_mobile_or_a_norwegian_message(value):
    try:
        number = parse_mobile(value)
    except InvalidMobile as exc:
        assert "mobilnummer" in str(exc)
    else:
        assert number.startswith("+47") and len(number) == 11 and number[3] in "49"


def test_display_mobile_groups_digits():
    assert display_mobile("+4791234567") == "912 34 567"
