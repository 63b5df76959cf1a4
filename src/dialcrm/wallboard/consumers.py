"""The wallboard's WebSocket, `ws/wallboard/`.

At connect the person must be signed in (the same guards as the pages) and allowed a wallboard;
they get the campaigns they may watch. They then subscribe to campaigns one by one
(`{"action": "subscribe", "campaign_id": 7}`); each subscription is checked against their scope
and joins the engine's group `campaign.<id>`, whose `campaign.figures` (every second) are passed
on narrowed to the agents the person looks after. Anything else gets a `wallboard.error` saying
what to send.
"""

from __future__ import annotations

import time
from typing import Any

from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _

from dialcrm.core.sockets import JsonTextConsumer, signed_in_user
from dialcrm.wallboard import services

MAX_MESSAGE_CHARS = 1000
MAX_SUBSCRIPTIONS = 20
AGENTS_REFRESH_S = 60.0  # agents who join the person's team appear within a minute
ACTIONS = ("subscribe", "unsubscribe")


class WallboardConsumer(JsonTextConsumer):
    """One wallboard screen."""

    max_message_chars = MAX_MESSAGE_CHARS

    user: Any = None
    campaigns: dict[int, str]
    agents: dict[int, str]
    agents_loaded_s: float = 0.0

    async def connect(self) -> None:
        self.campaigns = {}
        user = await database_sync_to_async(signed_in_user)(self.scope)
        if user is None or not await database_sync_to_async(services.may_watch)(user):
            await self.close(code=4403)
            return
        self.user = user
        campaigns = await database_sync_to_async(self._campaign_list)()
        await self._load_agents()
        await self.accept()
        await self.send_json({"type": "wallboard.campaigns", "campaigns": campaigns})

    def _campaign_list(self) -> list[dict[str, Any]]:
        return [
            {
                "id": campaign.pk,
                "name": campaign.name,
                "state": campaign.state,
                "location": str(campaign.location),
            }
            for campaign in services.watched_campaigns(self.user)
        ]

    async def _load_agents(self) -> None:
        self.agents = await database_sync_to_async(services.watched_agents)(self.user)
        self.agents_loaded_s = time.monotonic()

    async def disconnect(self, code: int) -> None:
        for campaign_id in list(self.campaigns):
            await self.channel_layer.group_discard(f"campaign.{campaign_id}", self.channel_name)
        self.campaigns = {}

    # --- from the browser --------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        with translation.override(self.user.language):  # answers in the person's language
            await self.receive_text_json(text_data)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        action = content.get("action") if isinstance(content, dict) else None
        if action not in ACTIONS:
            await self.refuse(
                str(action or ""),
                _('Send {"action": "subscribe" or "unsubscribe", "campaign_id": <number>}.'),
            )
            return
        campaign_id = content.get("campaign_id")
        if not isinstance(campaign_id, int) or isinstance(campaign_id, bool):
            await self.refuse(action, _("campaign_id must be a whole number."))
            return
        if action == "subscribe":
            await self.subscribe(campaign_id)
        else:
            await self.unsubscribe(campaign_id)

    async def subscribe(self, campaign_id: int) -> None:
        if campaign_id not in self.campaigns and len(self.campaigns) >= MAX_SUBSCRIPTIONS:
            await self.refuse(
                "subscribe",
                _("Watch at most %(limit)d campaigns at once: unsubscribe from one first.")
                % {"limit": MAX_SUBSCRIPTIONS},
            )
            return
        try:
            campaign = await database_sync_to_async(self._access)(campaign_id)
        except (Http404, PermissionDenied) as error:
            await self.refuse("subscribe", str(error))
            return
        self.campaigns[campaign.pk] = campaign.name
        await self.channel_layer.group_add(f"campaign.{campaign.pk}", self.channel_name)
        await self.send_json(
            {
                "type": "wallboard.subscribed",
                "campaign_id": campaign.pk,
                "campaign": campaign.name,
                "state": campaign.state,
            }
        )
        latest = await database_sync_to_async(services.latest_figures)(campaign.pk)
        if latest is not None:
            await self.send_figures(latest)

    def _board_figures(self, message: dict[str, Any]) -> dict[str, Any]:
        with translation.override(self.user.language):  # the stop reason in their words
            return services.board_figures(message, self.agents)

    def _access(self, campaign_id: int) -> Any:
        with translation.override(self.user.language):  # this thread's own language
            return services.access_wallboard(self.user, campaign_id)

    async def unsubscribe(self, campaign_id: int) -> None:
        if self.campaigns.pop(campaign_id, None) is None:
            await self.refuse("unsubscribe", _("You are not watching this campaign."))
            return
        await self.channel_layer.group_discard(f"campaign.{campaign_id}", self.channel_name)
        await self.send_json({"type": "wallboard.unsubscribed", "campaign_id": campaign_id})

    async def refuse(self, action: str, reason: str) -> None:
        await self.send_json({"type": "wallboard.error", "action": action, "reason": reason})

    # --- from the engine ---------------------------------------------------------------------

    async def dialer_message(self, event: dict[str, Any]) -> None:
        message = event.get("message") or {}
        if message.get("type") == "campaign.figures":
            await self.send_figures(message)

    async def send_figures(self, message: dict[str, Any]) -> None:
        campaign_id = message.get("campaign_id")
        if campaign_id not in self.campaigns:
            return  # a message already on its way when the person unsubscribed
        if time.monotonic() - self.agents_loaded_s > AGENTS_REFRESH_S:
            await self._load_agents()
        await self.send_json(
            {
                "type": "wallboard.figures",
                "campaign_id": campaign_id,
                "figures": self._board_figures(message),
            }
        )


websocket_urlpatterns = [path("ws/wallboard/", WallboardConsumer.as_asgi())]
