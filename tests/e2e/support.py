"""What the browser tests share besides fixtures: screen sizes and URL matching."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The fixture people of tests/conftest.py all share one password.
from tests.conftest import PASSWORD

__all__ = [
    "DESKTOP",
    "PASSWORD",
    "PHONE",
    "TABLET",
    "VIEWPORTS",
    "Viewport",
    "path_is",
]


@dataclass(frozen=True)
class Viewport:
    """A screen size the product must work at."""

    name: str
    width: int
    height: int

    def __str__(self) -> str:
        return self.name

    @property
    def has_navbar_toggler(self) -> bool:
        # Bootstrap's `navbar-expand-lg` folds the navigation behind the toggler below 992 px.
        return self.width < NAVBAR_EXPANDS_AT


NAVBAR_EXPANDS_AT = 992
PHONE = Viewport("phone", 390, 844)
TABLET = Viewport("tablet", 820, 1180)
DESKTOP = Viewport("desktop", 1440, 900)
VIEWPORTS = [PHONE, TABLET, DESKTOP]


def path_is(path: str) -> re.Pattern[str]:
    """A URL pattern for `expect(page).to_have_url`: exactly this path on the live server."""
    return re.compile(rf"^https?://[^/]+{re.escape(path)}$")
