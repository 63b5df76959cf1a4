"""Typed access to configuration from environment variables.

Every setting of dialcrm is read through these helpers, so a missing or malformed value fails at
start-up with a message that names the variable and says what is expected.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_MISSING = object()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigurationError(Exception):
    """A configuration variable is missing or cannot be read."""


def _raw(name: str) -> str | None:
    """The variable's text; an empty variable counts as unset."""
    value = os.environ.get(name, "").strip()
    return value or None


def _read(name: str, default: object, parse: Callable[[str], T], expected: str) -> T:
    raw = _raw(name)
    if raw is None:
        if default is _MISSING:
            raise ConfigurationError(f"{name} is required: set it to {expected}.")
        return default  # type: ignore[return-value]
    try:
        return parse(raw)
    except (ValueError, TypeError) as error:
        raise ConfigurationError(
            f"{name}={raw!r} is not valid: expected {expected} ({error})."
        ) from None


def string(name: str, default: object = _MISSING) -> str:
    def parse(raw: str) -> str:
        if not raw:
            raise ValueError("it is empty")
        return raw

    return _read(name, default, parse, "a non-empty text")


def boolean(name: str, default: object = _MISSING) -> bool:
    def parse(raw: str) -> bool:
        lowered = raw.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError("not one of 1/0, true/false, yes/no, on/off")

    return _read(name, default, parse, "true or false")


def integer(name: str, default: object = _MISSING, minimum: int | None = None) -> int:
    def parse(raw: str) -> int:
        value = int(raw)
        if minimum is not None and value < minimum:
            raise ValueError(f"it must be at least {minimum}")
        return value

    return _read(name, default, parse, "a whole number")


def string_list(name: str, default: object = _MISSING) -> list[str]:
    def parse(raw: str) -> list[str]:
        return [item.strip() for item in raw.split(",") if item.strip()]

    return _read(name, default, parse, "a comma-separated list")


def networks(name: str, default: object = _MISSING) -> list[str]:
    def parse(raw: str) -> list[str]:
        items = [item.strip() for item in raw.split(",") if item.strip()]
        return [str(ipaddress.ip_network(item, strict=False)) for item in items]

    return _read(name, default, parse, "a comma-separated list of networks such as 10.0.0.0/8")


def choice(name: str, choices: tuple[str, ...], default: object = _MISSING) -> str:
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"choose one of {', '.join(choices)}")
        return raw

    return _read(name, default, parse, "one of " + ", ".join(choices))
