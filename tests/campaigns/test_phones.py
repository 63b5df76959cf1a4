"""Phone numbers to E.164 with country and time zone; the fast path agrees with phonenumbers."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialcrm.campaigns.phones import FOREIGN, INVALID, Normalised, PhoneNormaliser, number_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0722 123 456", Normalised("+40722123456", "RO", "Europe/Bucharest")),
        ("0722-123-456", Normalised("+40722123456", "RO", "Europe/Bucharest")),
        ("(021) 312.34.56", Normalised("+40213123456", "RO", "Europe/Bucharest")),
        ("+40 722 123 456", Normalised("+40722123456", "RO", "Europe/Bucharest")),
        ("0040722123456", Normalised("+40722123456", "RO", "Europe/Bucharest")),
        ("40722123456", Normalised("+40722123456", "RO", "Europe/Bucharest")),
        ("722123456", Normalised("+40722123456", "RO", "Europe/Bucharest")),
        ("+49 30 1234567", Normalised("+49301234567", "DE", "Europe/Berlin")),
        ("+1 212 555 0123", Normalised("+12125550123", "US", "America/New_York")),
        ("+44 20 7946 0958", Normalised("+442079460958", "GB", "Europe/London")),
        ("+7 495 123-45-67", Normalised("+74951234567", "RU", "Europe/Moscow")),
        ("07x1", INVALID),
        ("00", INVALID),
        ("+", INVALID),
        ("0", INVALID),
        ("0722 123", INVALID),
        ("", INVALID),
        ("=cmd|' /C calc'!A0", INVALID),
        ("0722 123 456 ext. 12", INVALID),
    ],
)
def test_normalise_romanian_list(raw, expected):
    assert PhoneNormaliser("RO").normalise(raw) == expected


def test_a_country_with_several_zones_gets_its_first_zone_for_the_number():
    result = PhoneNormaliser("US").normalise("(415) 555-0199")

    assert result == Normalised("+14155550199", "US", "America/Los_Angeles")


def test_foreign_numbers_are_refused_only_when_asked():
    assert PhoneNormaliser("RO").normalise("+33 1 42 68 53 00").country == "FR"
    assert PhoneNormaliser("RO", only_default_country=True).normalise("+33 1 42 68 53 00") == (
        FOREIGN
    )
    assert PhoneNormaliser("RO", only_default_country=True).normalise("0722123456").country == "RO"


def test_number_key_is_the_digits():
    assert number_key("+40722123456") == 40722123456


def _fast_agrees(normaliser: PhoneNormaliser, raw: str) -> None:
    fast = normaliser._fast(raw)
    if fast is not None:
        assert fast == normaliser.slow(raw), raw


_WRITTEN = st.one_of(
    st.from_regex(r"0[0-9]{5,11}", fullmatch=True),
    st.from_regex(r"07[0-9]{8}", fullmatch=True),
    st.from_regex(r"\+[0-9]{6,15}", fullmatch=True),
    st.from_regex(r"00[0-9]{6,15}", fullmatch=True),
    st.from_regex(r"\+40 ?7[0-9]{2} ?[0-9]{3} ?[0-9]{3}", fullmatch=True),
    st.from_regex(r"[0-9]{1,13}", fullmatch=True),
    st.from_regex(r"(00|\+|0)?[0-9]{0,4}", fullmatch=True),
)


@settings(max_examples=400, deadline=None)
@given(raw=_WRITTEN, country=st.sampled_from(["RO", "DE", "FR", "IT", "GB", "US", "MD", "HU"]))
def test_fast_path_gives_the_libraries_answer(raw, country):
    _fast_agrees(PhoneNormaliser(country), raw)


def test_fast_path_agrees_on_many_random_numbers():
    generator = random.Random(7)
    normaliser = PhoneNormaliser("RO")
    for _ in range(20_000):
        digits = "".join(generator.choice("0123456789") for _ in range(generator.randint(6, 14)))
        prefix = generator.choice(["", "0", "07", "+", "00", "+40", "0040", "+4"])
        _fast_agrees(normaliser, prefix + digits)


@settings(max_examples=300, deadline=None)
@given(raw=st.text(max_size=40))
def test_any_text_gives_a_number_or_a_reason_never_an_error(raw):
    result = PhoneNormaliser("RO").normalise(raw)

    assert isinstance(result, Normalised) or result in (INVALID, FOREIGN)
