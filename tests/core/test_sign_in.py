"""Signing in: passwords, throttling and lock-out, deactivated accounts, two-factor, expiry."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.test import Client, override_settings

from dialcrm.core.choices import AuditAction, Role
from dialcrm.core.models import AuditEntry, TotpDevice
from tests.conftest import PASSWORD, signed_in


def _sign_in(client: Client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post(
        "/sign-in/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_right_password_signs_in_and_is_logged(org):
    client = Client()

    response = _sign_in(client, "north.agent", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    entry = AuditEntry.objects.get(action=AuditAction.SIGN_IN)
    assert entry.staff == org[Role.AGENT]
    assert entry.address == "127.0.0.1"


def test_wrong_password_is_refused_with_a_clear_message(org):
    response = _sign_in(Client(), "north.agent", "not-the-password")

    assert response.status_code == 422
    assert "Wrong username or password." in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert entry.staff == org[Role.AGENT]
    assert entry.summary == "north.agent: wrong username or password"


@override_settings(LOGIN_FAILURES_PER_ACCOUNT=3, LOGIN_LOCKOUT_S=600)
def test_account_locks_after_repeated_failures_even_with_the_right_password(org):
    client = Client()
    for attempt in range(3):
        _sign_in(client, "north.agent", f"wrong-{attempt}", address=f"10.0.0.{attempt}")

    response = _sign_in(client, "north.agent", PASSWORD, address="10.0.0.99")

    assert response.status_code == 422
    assert "Sign-in is locked for 10 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account is not affected.
    assert _sign_in(Client(), "north.teammate", PASSWORD, address="10.0.0.99").status_code == 302


@override_settings(LOGIN_FAILURES_PER_ADDRESS=4, LOGIN_LOCKOUT_S=600)
def test_address_locks_after_failures_across_accounts(org):
    for username in ("a", "b", "c", "d"):
        _sign_in(Client(), username, "guess", address="192.0.2.7")

    locked = _sign_in(Client(), "north.agent", PASSWORD, address="192.0.2.7")
    elsewhere = _sign_in(Client(), "north.agent", PASSWORD, address="192.0.2.8")

    assert locked.status_code == 422
    assert "Sign-in is locked" in locked.content.decode()
    assert elsewhere.status_code == 302


@override_settings(LOGIN_FAILURES_PER_ACCOUNT=2)
def test_password_reset_by_an_administrator_unlocks(org, client_for):
    for attempt in range(2):
        _sign_in(Client(), "north.agent", f"wrong-{attempt}")
    agent = org[Role.AGENT]

    reset = client_for(org[Role.ADMINISTRATOR]).post(
        f"/org/staff/{agent.pk}/password/", {"temporary_password": "fresh-temporary-77"}
    )
    client = Client()
    signed = _sign_in(client, "north.agent", "fresh-temporary-77")
    home = client.get("/")

    assert reset.status_code == 302
    assert signed.status_code == 302
    assert home.status_code == 302
    assert home["Location"] == "/account/password/"


def test_deactivated_account_gets_its_own_message(org):
    agent = org[Role.AGENT]
    agent.is_active = False
    agent.save()

    response = _sign_in(Client(), "north.agent", PASSWORD)

    assert response.status_code == 422
    assert "This account is deactivated." in response.content.decode()


def test_deactivated_account_with_wrong_password_learns_nothing(org):
    agent = org[Role.AGENT]
    agent.is_active = False
    agent.save()

    response = _sign_in(Client(), "north.agent", "wrong")

    assert "Wrong username or password." in response.content.decode()
    assert "deactivated" not in response.content.decode()


def test_deactivating_ends_a_running_session(org, client_for):
    client = client_for(org[Role.AGENT])
    agent = org[Role.AGENT]
    agent.is_active = False
    agent.save()

    response = client.get("/org/staff/")

    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_temporary_password_must_be_changed_first(org):
    agent = org[Role.AGENT]
    agent.must_change_password = True
    agent.save()
    client = Client()
    _sign_in(client, "north.agent", PASSWORD)

    blocked = client.get("/org/staff/")
    api_blocked = client.get("/api/org/staff")
    same = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password": PASSWORD, "new_password_again": PASSWORD},
    )
    weak = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password": "12345678901",
            "new_password_again": "12345678901",
        },
    )
    changed = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password": "a-brand-new-pass-1",
            "new_password_again": "a-brand-new-pass-1",
        },
    )

    assert blocked.status_code == 302
    assert blocked["Location"] == "/account/password/"
    assert api_blocked.status_code == 403
    assert api_blocked.json() == {"detail": "Change your password first."}
    assert same.status_code == 422
    assert "different from the current one" in same.content.decode()
    assert weak.status_code == 422
    assert "entirely numeric" in weak.content.decode()
    assert changed.status_code == 302
    agent.refresh_from_db()
    assert agent.must_change_password is False
    assert agent.check_password("a-brand-new-pass-1")
    assert client.get("/org/staff/").status_code == 200


def test_passwords_are_hashed_with_argon2(org):
    client = Client()
    _sign_in(client, "north.agent", PASSWORD)
    client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password": "a-brand-new-pass-1",
            "new_password_again": "a-brand-new-pass-1",
        },
    )

    org[Role.AGENT].refresh_from_db()
    assert org[Role.AGENT].password.startswith("argon2$")


@override_settings(SESSION_IDLE_TIMEOUT_S=60)
def test_idle_session_expires(org, client_for):
    client = client_for(org[Role.AGENT])
    session = client.session
    session["last_seen"] = time.time() - 61
    session.save()

    response = client.get("/org/staff/")

    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?expired=1"
    assert "_auth_user_id" not in client.session


def test_administrator_must_set_up_two_factor(org):
    client = Client()
    _sign_in(client, "administrator", PASSWORD)

    blocked = client.get("/admin/audit/")
    setup = client.get("/account/two-factor/")
    device = TotpDevice.objects.get(staff=org[Role.ADMINISTRATOR])
    wrong = client.post("/account/two-factor/", {"code": "000000"})
    right = client.post("/account/two-factor/", {"code": pyotp.TOTP(device.secret).now()})

    assert blocked.status_code == 302
    assert blocked["Location"] == "/account/two-factor/"
    assert "Administrators must use two-factor sign-in" in setup.content.decode()
    assert wrong.status_code == 422
    assert right.status_code == 302
    device.refresh_from_db()
    assert device.is_confirmed is True
    assert client.get("/admin/audit/").status_code == 200


def test_demo_accounts_are_exempt_and_the_screen_says_so(org):
    admin = org[Role.ADMINISTRATOR]
    admin.is_two_factor_exempt = True
    admin.save()
    client = Client()
    _sign_in(client, "administrator", PASSWORD)

    assert client.get("/admin/audit/").status_code == 200
    assert "exempt from two-factor sign-in" in client.get("/account/two-factor/").content.decode()


def _confirmed_device(staff) -> TotpDevice:
    return TotpDevice.objects.create(staff=staff, secret=pyotp.random_base32(), is_confirmed=True)


def test_two_factor_code_is_asked_after_the_password(org):
    device = _confirmed_device(org[Role.AGENT])
    client = Client()

    first = _sign_in(client, "north.agent", PASSWORD)
    before_code = client.get("/org/staff/")
    code = client.post("/sign-in/code/", {"code": pyotp.TOTP(device.secret).now()})

    assert first.status_code == 302
    assert first["Location"].startswith("/sign-in/code/")
    assert before_code.status_code == 302
    assert before_code["Location"].startswith("/sign-in/")
    assert code.status_code == 302
    assert client.get("/org/staff/").status_code == 200


def test_two_factor_code_cannot_be_replayed(org):
    device = _confirmed_device(org[Role.AGENT])
    code = pyotp.TOTP(device.secret).now()
    first, second = Client(), Client()
    _sign_in(first, "north.agent", PASSWORD)
    _sign_in(second, "north.agent", PASSWORD)

    accepted = first.post("/sign-in/code/", {"code": code})
    replayed = second.post("/sign-in/code/", {"code": code})

    assert accepted.status_code == 302
    assert replayed.status_code == 422
    assert "already used" in replayed.content.decode()


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "1234567"])
def test_malformed_codes_are_refused(org, code):
    _confirmed_device(org[Role.AGENT])
    client = Client()
    _sign_in(client, "north.agent", PASSWORD)

    response = client.post("/sign-in/code/", {"code": code})

    assert response.status_code == 422
    assert "_auth_user_id" not in client.session


def test_forms_require_csrf(org):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/sign-in/", {"username": "north.agent", "password": PASSWORD})

    assert response.status_code == 403


def test_sign_out_is_logged(org):
    client = signed_in(org[Role.AGENT])

    response = client.post("/sign-out/")

    assert response.status_code == 302
    assert (
        AuditEntry.objects.filter(action=AuditAction.SIGN_OUT, staff=org[Role.AGENT]).count() == 1
    )
    assert client.get("/org/staff/").status_code == 302
