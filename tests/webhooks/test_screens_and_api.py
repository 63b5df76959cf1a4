"""Managing webhooks on screens and through the API: administrators only, within their
company; the secret shown once and on request (audited); test-send and sending again; URL
checks with reasons; refusals change nothing."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from dialcrm.core.choices import Role
from dialcrm.core.models import AuditEntry
from dialcrm.webhooks import services
from dialcrm.webhooks.choices import Event
from dialcrm.webhooks.models import Delivery, Subscription
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

FORM = {"name": "Billing", "events": ["sale.created", "sale.accepted"]}


def _json(client, method, url, payload=None):
    return getattr(client, method)(url, json.dumps(payload or {}), content_type="application/json")


def test_an_administrator_adds_a_webhook_and_sees_its_secret_once(org, receiver):
    admin = signed_in(org["administrator"])

    response = admin.post(
        reverse("webhooks:subscription_add"),
        {**FORM, "company": org.company.pk, "url": receiver.url},
    )

    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.events == ["sale.accepted", "sale.created"]
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in response.content.decode()
    detail = admin.get(reverse("webhooks:subscription_detail", args=[subscription.pk]))
    assert detail.status_code == 200
    assert subscription.secret not in detail.content.decode()
    created = AuditEntry.objects.get(object_type="webhooks.subscription", action="create")
    assert subscription.secret not in json.dumps(created.changes)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/in", "Only http:// and https:// addresses can receive webhooks"),
        ("javascript:alert(1)", "Only http:// and https:// addresses can receive webhooks"),
        ("https://", "The address has no host name"),
        ("https://user:pw@example.com/in", "Do not put a user name or password"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is an internal address"),
        ("http://[::1]:8080/", "::1 is an internal address"),
        ("http://10.1.2.3/in", "10.1.2.3 is an internal address"),
    ],
)
def test_addresses_that_cannot_receive_are_refused_with_the_reason(org, url, message, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    admin = signed_in(org["administrator"])

    response = admin.post(
        reverse("webhooks:subscription_add"), {**FORM, "company": org.company.pk, "url": url}
    )

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Subscription.objects.exists()


def test_an_allowed_network_accepts_an_on_premise_receiver(org, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    admin = org["administrator"]

    services.save_subscription(
        admin,
        Subscription(),
        {
            "company": org.company,
            "name": "ERP",
            "url": "http://10.20.1.5/in",
            "events": ["call.ended"],
        },
    )

    assert Subscription.objects.get().url == "http://10.20.1.5/in"


def test_unknown_or_no_events_are_refused_through_the_api(org, receiver):
    admin = signed_in(org["administrator"])
    url = "/api/webhooks/subscriptions"
    base = {"company_id": org.company.pk, "name": "X", "url": receiver.url}

    unknown = _json(admin, "post", url, {**base, "events": ["call.ended", "lead.deleted"]})
    empty = _json(admin, "post", url, {**base, "events": []})

    assert unknown.status_code == 422
    assert "Unknown event(s): lead.deleted" in unknown.json()["detail"][0]["message"]
    assert empty.status_code == 422
    assert not Subscription.objects.exists()


def test_the_api_creates_with_the_secret_and_lists_without_it(org, receiver):
    admin = signed_in(org["administrator"])

    created = _json(
        admin,
        "post",
        "/api/webhooks/subscriptions",
        {
            "company_id": org.company.pk,
            "name": "CRM",
            "url": receiver.url,
            "events": ["call.ended"],
        },
    )

    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret == Subscription.objects.get().secret
    listed = admin.get("/api/webhooks/subscriptions").json()
    assert [item["name"] for item in listed["items"]] == ["CRM"]
    assert "secret" not in listed["items"][0]
    revealed = admin.post(f"/api/webhooks/subscriptions/{created.json()['id']}/secret")
    assert revealed.json() == {"secret": secret}
    assert AuditEntry.objects.filter(summary="signing secret revealed").count() == 1


def test_rotating_the_secret_replaces_it(org, subscription):
    old = subscription.secret

    new = services.rotate_secret(org["administrator"], subscription)

    subscription.refresh_from_db()
    assert subscription.secret == new != old


def test_test_send_posts_to_the_receiver_and_lands_in_the_log(org, subscription, receiver):
    admin = signed_in(org["administrator"])

    response = admin.post(
        reverse("webhooks:subscription_test", args=[subscription.pk]), follow=True
    )

    assert response.status_code == 200
    assert "Test delivered: the receiver answered 200" in response.content.decode()
    (request,) = receiver.received
    assert json.loads(request.body)["event"] == "webhook.test"
    delivery = Delivery.objects.get()
    assert (delivery.event, delivery.state, delivery.attempts) == ("webhook.test", "delivered", 1)
    page = admin.get(reverse("webhooks:delivery_detail", args=[delivery.pk]))
    assert page.status_code == 200
    assert "webhook.test" in page.content.decode()


def test_a_failed_test_says_why_and_can_be_sent_again_through_the_api(org, subscription, receiver):
    receiver.statuses = [404]
    admin = signed_in(org["administrator"])

    tested = admin.post(f"/api/webhooks/subscriptions/{subscription.pk}/test").json()

    assert (tested["state"], tested["response_status"]) == ("failed", 404)
    assert tested["error"] == "The receiver answered 404."
    assert tested["tries"][0]["response_status"] == 404
    again = admin.post(f"/api/webhooks/deliveries/{tested['id']}/resend").json()
    assert (again["state"], again["attempts"]) == ("delivered", 2)
    twice = admin.post(f"/api/webhooks/deliveries/{tested['id']}/resend")
    assert twice.status_code == 422
    assert "Only a failed delivery" in twice.json()["detail"][0]["message"]


def test_the_delivery_log_filters_by_state_and_event(org, subscription):
    services.emit(org.company.pk, Event.SALE_CREATED, {"sale": {"id": 1}})
    services.emit(org.company.pk, Event.CALL_ENDED, {"call": {"id": "x"}})
    admin = signed_in(org["administrator"])
    url = f"/api/webhooks/subscriptions/{subscription.pk}/deliveries"

    assert [d["event"] for d in admin.get(url, {"event": "call.ended"}).json()["items"]] == [
        "call.ended"
    ]
    assert admin.get(url, {"state": "failed"}).json()["items"] == []
    assert admin.get(url, {"state": "lost"}).status_code == 422
    page = admin.get(
        reverse("webhooks:subscription_detail", args=[subscription.pk]), {"event": "sale.created"}
    )
    assert page.content.decode().count('data-testid="delivery-row"') == 1


SCREEN_STATUS = {  # GET of the webhook's page, per role
    Role.ADMINISTRATOR: 200,
    Role.MANAGER: 404,
    Role.HUMAN_RESOURCES: 404,
    Role.LOCATION_MANAGER: 404,
    Role.TEAM_LEADER: 404,
    Role.AGENT: 404,
    Role.QUALITY: 404,
    Role.BACK_OFFICE: 404,
    "other_admin": 404,
}


@pytest.mark.parametrize("role", list(SCREEN_STATUS))
def test_only_the_company_administrators_see_a_webhook(org, subscription, role):
    client = signed_in(org[role])

    page = client.get(reverse("webhooks:subscription_detail", args=[subscription.pk]))
    api = client.get(f"/api/webhooks/subscriptions/{subscription.pk}")
    listing = client.get(reverse("webhooks:subscription_list"))

    assert page.status_code == SCREEN_STATUS[role]
    assert api.status_code == SCREEN_STATUS[role]
    assert listing.status_code == (200 if role in (Role.ADMINISTRATOR, "other_admin") else 403)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, "other_admin"])
def test_others_cannot_send_reveal_or_change_and_nothing_happens(org, subscription, receiver, role):
    client = signed_in(org[role])
    before = subscription.secret

    responses = [
        client.post(reverse("webhooks:subscription_test", args=[subscription.pk])),
        client.post(reverse("webhooks:subscription_secret", args=[subscription.pk])),
        client.post(reverse("webhooks:subscription_rotate", args=[subscription.pk])),
        client.post(reverse("webhooks:subscription_deactivate", args=[subscription.pk])),
        client.post(f"/api/webhooks/subscriptions/{subscription.pk}/test"),
        client.post(f"/api/webhooks/subscriptions/{subscription.pk}/secret"),
        _json(
            client,
            "patch",
            f"/api/webhooks/subscriptions/{subscription.pk}",
            {
                "company_id": org.company.pk,
                "name": "Mine",
                "url": receiver.url,
                "events": ["call.ended"],
            },
        ),
    ]

    assert {response.status_code for response in responses} == {404}
    subscription.refresh_from_db()
    assert (subscription.secret, subscription.name, subscription.is_active) == (before, "CRM", True)
    assert receiver.received == []
    assert not Delivery.objects.exists()


def test_nobody_but_administrators_may_add(org, receiver):
    manager = signed_in(org[Role.MANAGER])

    page = manager.get(reverse("webhooks:subscription_add"))
    api = _json(
        manager,
        "post",
        "/api/webhooks/subscriptions",
        {"company_id": org.company.pk, "name": "X", "url": receiver.url, "events": ["call.ended"]},
    )

    assert (page.status_code, api.status_code) == (403, 403)
    assert not Subscription.objects.exists()


def test_another_company_cannot_be_chosen(org, receiver):
    admin = signed_in(org["administrator"])

    response = _json(
        admin,
        "post",
        "/api/webhooks/subscriptions",
        {
            "company_id": org.other_company.pk,
            "name": "X",
            "url": receiver.url,
            "events": ["call.ended"],
        },
    )

    assert response.status_code == 404
    assert not Subscription.objects.exists()


def test_the_menu_shows_webhooks_to_administrators_only(org):
    assert "Webhooks" in signed_in(org["administrator"]).get("/").content.decode()
    assert "Webhooks" not in signed_in(org[Role.MANAGER]).get("/").content.decode()
