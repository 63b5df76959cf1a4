"""Signing in through the real form: each role lands on its home page; a wrong password is
refused; an administrator without an exemption sets up two-factor sign-in, then needs a code."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page, expect

from dialcrm.core.choices import AuditAction, Role
from dialcrm.core.models import AuditEntry, TotpDevice

from .support import path_is

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("person", "menu", "administers"),
    [
        (Role.AGENT, "North.Agent · Agent", False),
        (Role.LOCATION_MANAGER, "North.Manager · Location manager", False),
        (Role.ADMINISTRATOR, "Administrator · Administrator", True),
    ],
)
def test_each_role_signs_in_to_its_home_page(
    page: Page,
    org: Any,
    sign_in: Callable[..., None],
    person: str,
    menu: str,
    administers: bool,
) -> None:
    staff = org[person]
    if staff.role == Role.ADMINISTRATOR:
        staff.is_two_factor_exempt = True
        staff.save()

    sign_in(page, staff.username)

    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {staff.first_name}")
    expect(page.get_by_test_id("user-menu")).to_have_text(menu)
    sections = page.locator("main .card-header")
    expect(sections.filter(has_text="Organisation")).to_have_count(1)
    expect(sections.filter(has_text="Administration")).to_have_count(1 if administers else 0)
    entry = AuditEntry.objects.get(action=AuditAction.SIGN_IN)
    assert (entry.staff_id, entry.address, entry.object_id) == (
        staff.pk,
        "127.0.0.1",
        str(staff.pk),
    )


def test_a_wrong_password_is_refused_on_the_form(
    page: Page, org: Any, sign_in: Callable[..., None]
) -> None:
    sign_in(page, "north.agent", "not-the-password")

    expect(page).to_have_url(path_is("/sign-in/"))
    expect(page.get_by_test_id("form-errors")).to_have_text("Wrong username or password.")
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    failure = AuditEntry.objects.get()
    assert (failure.action, failure.staff_id, failure.summary) == (
        AuditAction.SIGN_IN_FAILED,
        org[Role.AGENT].pk,
        "north.agent: wrong username or password",
    )


def test_an_administrator_is_sent_to_set_up_two_factor_and_gets_in_with_a_code(
    page: Page, org: Any, sign_in: Callable[..., None]
) -> None:
    administrator = org[Role.ADMINISTRATOR]
    assert administrator.requires_two_factor

    sign_in(page, administrator.username)

    expect(page).to_have_url(path_is("/account/two-factor/"))
    expect(page.locator(".alert-warning")).to_have_text(
        "Administrators must use two-factor sign-in. Set it up to continue."
    )
    page.goto("/org/staff/")
    expect(page).to_have_url(path_is("/account/two-factor/"))
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Six-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()

    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("alert")).to_contain_text("Two-factor sign-in is on.")
    page.goto("/org/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff")
    device = TotpDevice.objects.get(staff=administrator)
    assert (device.secret, device.is_confirmed) == (secret, True)


def test_an_administrator_with_an_authenticator_signs_in_with_a_code(
    page: Page, org: Any, sign_in: Callable[..., None]
) -> None:
    administrator = org[Role.ADMINISTRATOR]
    totp = pyotp.TOTP(pyotp.random_base32())
    TotpDevice.objects.create(staff=administrator, secret=totp.secret, is_confirmed=True)

    sign_in(page, administrator.username)
    expect(page).to_have_url(path_is("/sign-in/code/?next=/"))
    page.get_by_label("Six-digit code").fill(a_wrong_code(totp))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".invalid-feedback")).to_have_text(
        "This code is not right or was already used. Try the next one."
    )
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    page.get_by_label("Six-digit code").fill(totp.now())
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_test_id("user-menu")).to_have_text("Administrator · Administrator")
    page.goto("/admin/audit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    assert AuditEntry.objects.filter(action=AuditAction.SIGN_IN, staff=administrator).count() == 1


def a_wrong_code(totp: pyotp.TOTP) -> str:
    """A six-digit code that none of the steps the server accepts (now, one before and one
    after) produces."""
    now = time.time()
    accepted = {totp.at(now + drift * totp.interval) for drift in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)
