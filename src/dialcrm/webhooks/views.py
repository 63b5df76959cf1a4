"""Screens of webhooks: subscriptions, each with its delivery log, test-send, secret and
sending a failed delivery again."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dialcrm.core.crud import (
    Column,
    ObjectDeactivateView,
    ObjectFormView,
    ObjectListView,
    ObjectScreen,
    apply_form_errors,
)
from dialcrm.core.policy import CHANGE, VIEW, access, can
from dialcrm.webhooks import services
from dialcrm.webhooks.choices import DeliveryState, Event
from dialcrm.webhooks.forms import SubscriptionForm
from dialcrm.webhooks.models import Delivery, Subscription


class SubscriptionScreen(ObjectScreen):
    model = Subscription
    url_prefix = "webhooks:subscription"


class SubscriptionList(SubscriptionScreen, ObjectListView):
    columns = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Address"), "url"),
        Column(gettext_lazy("Events"), "event_labels"),
        Column(gettext_lazy("Company"), "company"),
    ]
    search_fields = ("name", "url")
    detail_url_name = "webhooks:subscription_detail"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("company")


def _secret_page(request: HttpRequest, subscription: Subscription, secret: str, title: str) -> Any:
    return render(
        request,
        "webhooks/secret.html",
        {"subscription": subscription, "secret": secret, "title": title},
    )


class SubscriptionEdit(SubscriptionScreen, ObjectFormView):
    form_class = SubscriptionForm

    def save(self, form: Any, instance: Any) -> Any:
        return services.save_subscription(self.request.user, instance, form.cleaned_values())

    def success_url(self, saved: Any) -> str:
        return reverse("webhooks:subscription_detail", args=[saved.pk])

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        if pk is not None:
            return super().post(request, pk)
        instance = self.get_object(None)
        form = self.get_form(instance, request.POST)
        if form.is_valid():
            try:
                saved = self.save(form, instance)
            except ValidationError as error:
                apply_form_errors(form, error)
            else:  # the one time the secret is shown without asking
                return _secret_page(request, saved, saved.secret, _("Webhook created"))
        return self.render_form(form, instance, status=422)


class SubscriptionDeactivate(SubscriptionScreen, ObjectDeactivateView):
    def deactivate(self, instance: Any) -> None:
        services.deactivate_subscription(self.request.user, instance)


class SubscriptionDetail(SubscriptionScreen):
    """The subscription and its delivery log, newest first, filtered by state or event."""

    page_size = 25

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        subscription = access(Subscription, request.user, pk, VIEW)
        deliveries = Delivery.objects.for_user(request.user).filter(subscription=subscription)
        state = request.GET.get("state", "")
        if state in DeliveryState.values:
            deliveries = deliveries.filter(state=state)
        event = request.GET.get("event", "")
        if event in Event.values:
            deliveries = deliveries.filter(event=event)
        page = Paginator(deliveries.defer("payload"), self.page_size).get_page(
            request.GET.get("page")
        )
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "webhooks/subscription_detail.html",
            self.context(
                subscription=subscription,
                can_change=can(request.user, CHANGE, subscription),
                page=page,
                query=query.urlencode(),
                states=DeliveryState.choices,
                events=Event.choices,
                state=state,
                event=event,
            ),
        )


class SubscriptionTest(SubscriptionScreen):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        subscription = access(Subscription, request.user, pk, CHANGE)
        try:
            delivery = services.send_test(request.user, subscription)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if delivery.state == DeliveryState.DELIVERED:
                messages.success(
                    request,
                    _("Test delivered: the receiver answered %(status)s in %(ms)s ms.")
                    % {"status": delivery.response_status, "ms": delivery.duration_ms},
                )
            else:
                messages.error(request, _("The test failed: %(error)s") % {"error": delivery.error})
        return redirect("webhooks:subscription_detail", pk)


class SubscriptionSecret(SubscriptionScreen):
    """Shows the signing secret (POST: each look is audited), or replaces it (`rotate`)."""

    http_method_names = ["post"]
    rotate = False

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        subscription = access(Subscription, request.user, pk, CHANGE)
        if self.rotate:
            secret = services.rotate_secret(request.user, subscription)
            return _secret_page(request, subscription, secret, _("New signing secret"))
        secret = services.reveal_secret(request.user, subscription)
        return _secret_page(request, subscription, secret, _("Signing secret"))


class DeliveryDetail(SubscriptionScreen):
    """One delivery: its payload and every attempt."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        delivery = access(Delivery, request.user, pk, VIEW)
        subscription = delivery.subscription
        return render(
            request,
            "webhooks/delivery_detail.html",
            self.context(
                delivery=delivery,
                subscription=subscription,
                payload=json.dumps(delivery.payload, indent=2, ensure_ascii=False),
                tries=delivery.tries.all(),
                can_resend=delivery.state == DeliveryState.FAILED
                and can(request.user, CHANGE, subscription),
            ),
        )


class DeliveryResend(SubscriptionScreen):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        delivery = access(Delivery, request.user, pk, VIEW)
        access(Subscription, request.user, delivery.subscription_id, CHANGE)
        try:
            delivery = services.resend(request.user, delivery)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if delivery.state == DeliveryState.DELIVERED:
                messages.success(request, _("Delivered."))
            else:
                messages.error(request, _("Failed again: %(error)s") % {"error": delivery.error})
        return redirect("webhooks:delivery_detail", pk)


app_name = "webhooks"
urlpatterns = [
    path("", SubscriptionList.as_view(), name="subscription_list"),
    path("add/", SubscriptionEdit.as_view(), name="subscription_add"),
    path("<int:pk>/", SubscriptionDetail.as_view(), name="subscription_detail"),
    path("<int:pk>/edit/", SubscriptionEdit.as_view(), name="subscription_edit"),
    path(
        "<int:pk>/deactivate/",
        SubscriptionDeactivate.as_view(),
        name="subscription_deactivate",
    ),
    path("<int:pk>/test/", SubscriptionTest.as_view(), name="subscription_test"),
    path("<int:pk>/secret/", SubscriptionSecret.as_view(), name="subscription_secret"),
    path(
        "<int:pk>/secret/rotate/",
        SubscriptionSecret.as_view(rotate=True),
        name="subscription_rotate",
    ),
    path("deliveries/<int:pk>/", DeliveryDetail.as_view(), name="delivery_detail"),
    path("deliveries/<int:pk>/resend/", DeliveryResend.as_view(), name="delivery_resend"),
]
