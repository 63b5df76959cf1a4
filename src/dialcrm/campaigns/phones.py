"""Phone numbers to E.164, with the number's country and time zone (Google's phonenumbers).

Pure Python, no Django.

`phonenumbers.parse` costs tens of microseconds a number, too slow for millions of rows. Most
numbers in a list are written in a few plain shapes (`0722 123 456`, `+40722123456`,
`0040722123456`), so `PhoneNormaliser` first tries a fast path for those shapes that validates
the national number with phonenumbers' own metadata (the same patterns and possible lengths that
`is_valid_number` uses) and finds the time zone from phonenumbers' own time-zone data. Anything
the fast path does not recognise for sure, and every number it would reject, goes to the library
itself, so the results are the library's (a test compares both on many numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberFormat, timezone
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE
from phonenumbers.tzdata import TIMEZONE_DATA

INVALID = "invalid"  # not a valid number
FOREIGN = "foreign"  # valid, but of another country when only the default country is accepted

UNKNOWN_TIME_ZONE = "Etc/Unknown"
_SEPARATORS = str.maketrans("", "", " \t-./()\u00a0\u2010\u2011\u2012\u2013\u2014")
_MAX_NATIONAL_LENGTH = 17  # phonenumbers' limit for a national significant number
_SLOW_CACHE_SIZE = 50_000


class Normalised(NamedTuple):
    """A valid number: E.164, the ISO code of its country and its (first) time zone (a named
    tuple: millions are made in an import)."""

    e164: str
    country: str
    time_zone: str


def number_key(e164: str) -> int:
    """A compact key of an E.164 number (its digits as an integer), for sets of millions."""
    return int(e164[1:])


class _Validator:
    """Is a national significant number valid for a region: the checks of phonenumbers'
    `_number_type_helper` (the general description, then any number type, each with its
    possible lengths), folded into one precompiled pattern per length."""

    def __init__(self, metadata: PhoneMetadata) -> None:
        general = metadata.general_desc
        general_lengths = frozenset(general.possible_length)
        types: list[tuple[frozenset[int], str]] = []
        for desc in (
            metadata.mobile,
            metadata.fixed_line,
            metadata.premium_rate,
            metadata.toll_free,
            metadata.shared_cost,
            metadata.voip,
            metadata.personal_number,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
        ):
            if desc is None or not desc.national_number_pattern:
                continue
            lengths = frozenset(desc.possible_length) or general_lengths
            types.append((lengths, desc.national_number_pattern))
        self.by_length: dict[int, re.Pattern[str]] = {}
        if not general.national_number_pattern:
            return
        for length in general_lengths:
            alternatives = [pattern for lengths, pattern in types if length in lengths]
            if alternatives:
                self.by_length[length] = re.compile(
                    f"(?=(?:{general.national_number_pattern})\\Z)"
                    f"(?:{'|'.join(f'(?:{pattern})' for pattern in alternatives)})"
                )

    def is_valid(self, national: str) -> bool:
        pattern = self.by_length.get(len(national))
        return pattern is not None and pattern.fullmatch(national) is not None


@dataclass(frozen=True)
class _Country:
    """What the fast path needs to know of one country calling code with a single region."""

    region: str
    code: str
    validator: _Validator
    national_prefix: str | None  # stripped when the number starts with it (plain digits only)
    time_zone: str | None  # the zone of every number of the country, if it has one zone


def _single_time_zone(code: str) -> str | None:
    zones = {value for key, value in TIMEZONE_DATA.items() if key.startswith(code)}
    if code not in TIMEZONE_DATA or len(zones) != 1:
        return None
    zone = next(iter(zones))[0]
    return "" if zone == UNKNOWN_TIME_ZONE else zone


def _plain_digits(pattern: str | None) -> str | None:
    return pattern if pattern and pattern.isdigit() else None


@cache
def _country(code: int) -> _Country | None:
    """Fast-path data for a calling code, or None when it is shared by several regions (+1, +7,
    +44...) or its national prefix is not a plain string of digits."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(code, ())
    if len(regions) != 1:
        return None
    region = regions[0]
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.national_prefix_transform_rule:
        return None
    prefix = metadata.national_prefix_for_parsing
    national_prefix = _plain_digits(prefix)
    if prefix and national_prefix is None:
        return None
    return _Country(
        region=region,
        code=str(code),
        validator=_Validator(metadata),
        national_prefix=national_prefix,
        time_zone=_single_time_zone(str(code)),
    )


def _country_for_digits(digits: str) -> tuple[_Country | None, str]:
    """Split international digits (after + or 00) into a country and its national number."""
    if not digits or digits.startswith("0"):
        return None, ""
    for length in (1, 2, 3):
        code = int(digits[:length])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            return _country(code), digits[length:]
    return None, ""


class PhoneNormaliser:
    """Normalises numbers written for a default country (ISO code, e.g. "RO")."""

    def __init__(self, default_country: str, only_default_country: bool = False) -> None:
        self.default_country = default_country.upper()
        self.only_default_country = only_default_country
        metadata = PhoneMetadata.metadata_for_region(self.default_country)
        if metadata is None:
            raise ValueError(f"unknown country {default_country!r}")
        self._home = _country(metadata.country_code)
        if self._home is not None and self._home.region != self.default_country:
            self._home = None
        international = metadata.international_prefix
        self._international_prefix = _plain_digits(international)
        self._slow_cache: dict[str, Normalised | str] = {}

    def normalise(self, raw: str) -> Normalised | str:
        """The number as E.164 with its country and time zone, or INVALID / FOREIGN."""
        result = self._fast(raw)
        if result is None:
            result = self._slow_cached(raw)
        if (
            self.only_default_country
            and isinstance(result, Normalised)
            and result.country != self.default_country
        ):
            return FOREIGN
        return result

    def _fast(self, raw: str) -> Normalised | None:
        text = raw if raw.isdigit() else raw.translate(_SEPARATORS)
        if text.startswith("+"):
            digits = text[1:]
            if not digits.isdigit():
                return None
            return self._international(digits)
        if not text.isdigit():
            return None
        home = self._home
        if self._international_prefix and text.startswith(self._international_prefix):
            return self._international(text[len(self._international_prefix) :])
        if home is None or text.startswith(home.code):
            # A number starting with the country code may or may not carry it: the library knows.
            return None
        prefix = home.national_prefix
        national = text[len(prefix) :] if prefix and text.startswith(prefix) else text
        return self._accept(home, national)

    def _international(self, digits: str) -> Normalised | None:
        country, national = _country_for_digits(digits)
        if country is None:
            return None
        if country.national_prefix and national.startswith(country.national_prefix):
            return None  # "+40 0722...": the library decides whether the 0 is a trunk prefix
        return self._accept(country, national)

    @staticmethod
    def _accept(country: _Country, national: str) -> Normalised | None:
        if (
            country.time_zone is None
            or not 2 <= len(national) <= _MAX_NATIONAL_LENGTH
            or not country.validator.is_valid(national)
        ):
            return None
        return Normalised(f"+{country.code}{national}", country.region, country.time_zone)

    def _slow_cached(self, raw: str) -> Normalised | str:
        result = self._slow_cache.get(raw)
        if result is None:
            if len(self._slow_cache) >= _SLOW_CACHE_SIZE:
                self._slow_cache.clear()
            result = self._slow_cache[raw] = self.slow(raw)
        return result

    def slow(self, raw: str) -> Normalised | str:
        """The library's own answer (the reference the fast path must agree with)."""
        try:
            number = phonenumbers.parse(raw, self.default_country)
        except phonenumbers.NumberParseException:
            return INVALID
        if number.extension or not phonenumbers.is_valid_number(number):
            return INVALID
        region = phonenumbers.region_code_for_number(number) or ""
        if len(region) != 2:  # "001": numbers of no country (+800, +882...)
            region = ""
        zone = timezone.time_zones_for_number(number)[0]
        return Normalised(
            phonenumbers.format_number(number, PhoneNumberFormat.E164),
            region,
            "" if zone == UNKNOWN_TIME_ZONE else zone,
        )


def is_known_country(code: str) -> bool:
    """Is this an ISO country code phonenumbers knows (for a list's default country)?"""
    return PhoneMetadata.metadata_for_region(code.upper()) is not None
