"""The desk's WebSockets: `ws/desk/` for an agent, `ws/desk/team/` for a team leader.

An agent's socket joins the group `agent.<id>` the engine publishes to, forwards the engine's
messages (a call put through or a lead previewed comes with the lead's card), and takes the
agent's actions (`dialcrm.desk.protocol`), checked, to the engine with `send_command`. The agent
is always the signed-in person. A desk whose connection stays lost for `DESK_AWAY_PAUSE_S`
seconds gets its agent paused ("connection lost"); a call in progress is never cut.

A team leader's socket listens to each of their agents' groups, so the team view moves with the
same feed as the desks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any, TypeVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _

from dialcrm.campaigns.choices import StopReason
from dialcrm.core.sockets import JsonTextConsumer, KeptThreads, signed_in_user
from dialcrm.desk import cards, services
from dialcrm.desk.models import DESK_ROLES
from dialcrm.desk.protocol import (
    MAX_MESSAGE_CHARS,
    DeskAction,
    DeskMessageError,
    parse_desk_message,
)
from dialcrm.dialer import refusals
from dialcrm.dialer.choices import AgentState, PauseReason
from dialcrm.dialer.realtime import DIALED_CHANNEL, send_command

logger = logging.getLogger(__name__)
DEFAULT_AWAY_PAUSE_S = 30.0
CARD_THREADS = 4
SOCKET_THREADS = 4
PREPARE_THREADS = 2
PREPARING_AT_ONCE = 8
T = TypeVar("T")
CARD_MESSAGES = {"call.offered", "lead.previewed", "call.dialing"}
CONSULT_ACTIONS = {"consult", "consult_transfer", "consult_conference", "consult_cancel"}
DIALING_MODES = {"preview", "manual"}
_away_checks: set[asyncio.Task[None]] = set()


def away_pause_s() -> float:
    """How long a desk may stay disconnected before its agent is paused."""
    return float(getattr(settings, "DESK_AWAY_PAUSE_S", DEFAULT_AWAY_PAUSE_S))


class DeskConsumer(JsonTextConsumer):
    """One agent's desk."""

    max_message_chars = MAX_MESSAGE_CHARS
    closes_old_connections = False  # its database work runs on KeptThreads

    agent: Any = None
    state: str = AgentState.LOGGED_OUT
    mode: str = ""
    group: str = ""
    connection: str = ""
    consulted_on: str = ""  # a colleague consults this agent about this call

    async def connect(self) -> None:
        # The socket's database and cache work runs on the desk's own threads, not on the
        # process's one thread for synchronous code: a whole floor connecting at once (the
        # start of a shift) is served side by side instead of one desk after the other.
        self.connection = uuid.uuid4().hex
        user = await socket_threads.run(_present_agent, self.scope, self.connection)
        if user is None:
            await self.close(code=4403)
            return
        self.agent = user
        self.group = f"agent.{user.pk}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_snapshot()

    async def send_snapshot(self) -> None:
        snapshot = await socket_threads.run(self._snapshot)
        self.state = snapshot["state"]["state"]
        self.mode = (snapshot["session"] or {}).get("mode", "")
        await self.send_json(snapshot)

    def _snapshot(self) -> dict[str, Any]:
        with translation.override(self.agent.language):
            return services.desk_snapshot(self.agent)

    async def disconnect(self, code: int) -> None:
        if not self.group:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.consulted_on:
            # A colleague's customer waits on hold: a consulted desk that drops ends the
            # consultation at once (no grace time), and the customer is back with the agent.
            await send_command({"kind": "consult_cancel", "agent_id": self.agent.pk})
        if await socket_threads.run(cache.get, _presence_key(self.agent.pk)) == self.connection:
            task = asyncio.ensure_future(_pause_if_still_away(self.agent.pk, self.connection))
            _away_checks.add(task)
            task.add_done_callback(_away_checks.discard)

    # --- from the browser ------------------------------------------------------------------

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        try:
            action = parse_desk_message(content)
        except DeskMessageError as error:
            await self.refuse(error.action, str(error))
            return
        if action.action == "ping":
            await self.send_json({"type": "desk.pong"})
            return
        problem = self.out_of_order(action)
        if problem:
            await self.refuse(action.action, problem)
            return
        if action.action == "login":
            command, problem = await socket_threads.run(self._login_command, action)
            if problem:
                await self.refuse(action.action, problem)
                return
            if command is None:
                return  # a new work session: its service logs the agent in
        else:
            command = action.command(self.agent.pk)
        await send_command(command)

    def out_of_order(self, action: DeskAction) -> str:
        """Actions that make no sense in the agent's state, refused before the engine."""
        kind, state = action.action, self.state
        busy = state in (AgentState.ON_CALL, AgentState.WRAP_UP)
        if kind == "hang_up" and state not in (AgentState.ON_CALL, AgentState.RESERVED):
            return _("You are not on a call.")  # reserved: their own call may be ringing
        if kind in ("hold", "unhold", "transfer") and state != AgentState.ON_CALL:
            return _("You are not on a call.")
        if kind in CONSULT_ACTIONS and state != AgentState.ON_CALL:
            return _("You are not on a call.")
        if kind in ("ready", "login") and busy:
            return _("Finish the call and set its status first.")
        if kind in ("ready", "pause") and state == AgentState.LOGGED_OUT:
            return _("Log in to a campaign first.")
        if kind in ("preview_next", "dial", "skip"):
            if self.mode not in DIALING_MODES:
                return _("This campaign dials for you: no preview or manual dialing here.")
            if kind == "dial" and action.number and self.mode != "manual":
                return _("Dialing a number of your own is for manual mode.")
            if busy:
                return _("Finish the call and set its status first.")
        return ""

    def _login_command(self, action: DeskAction) -> tuple[dict[str, Any] | None, str]:
        with translation.override(self.agent.language):
            session = services.open_session(self.agent)
            if action.campaign_id is not None and (
                session is None or session.campaign_id != action.campaign_id
            ):
                try:
                    session = services.start_work(
                        self.agent,
                        action.campaign_id,
                        endpoint=session.endpoint
                        if session
                        else services.default_endpoint(self.agent),
                        auto_ready=session.auto_ready if session else True,
                        wrap_up_s=session.wrap_up_s if session else 0,
                    )
                except (ValidationError, services.Conflict) as error:
                    return None, " ".join(getattr(error, "messages", [str(error)]))
                self.mode = session.mode
                return None, ""
            if session is None:
                return None, _("Choose a campaign on the start-of-work screen first.")
            self.mode = session.mode
            return services.login_command(session), ""

    async def refuse(self, action: str, reason: str) -> None:
        await self.send_json({"type": "desk.error", "action": action, "reason": reason})

    # --- from the engine ---------------------------------------------------------------------

    async def dialer_message(self, event: dict[str, Any]) -> None:
        message = dict(event.get("message") or {})
        kind = message.get("type")
        if kind == "agent.state":
            self.state = message.get("state", self.state)
            if self.state == AgentState.LOGGED_OUT:
                await socket_threads.run(services.close_session, self.agent.pk)
        elif kind == "campaign.stopped" and message.get("reason") in StopReason.values:
            with translation.override(self.agent.language):
                message["label"] = str(StopReason(message["reason"]).label)
        elif kind == "command.refused":
            with translation.override(self.agent.language):
                message["reason"] = refusals.word(
                    str(message.get("code") or ""), message.get("params")
                )
        if kind in CARD_MESSAGES and message.get("lead_id") and message.get("campaign_id"):
            started = time.perf_counter()
            try:
                message["card"] = await card_builders.run(self._card, message)
            except Exception:  # a card that cannot be built must not lose the call
                logger.exception("desk: no card for %s", message)
            message["card_ms"] = round((time.perf_counter() - started) * 1000, 1)
        if kind in ("consult.started", "consult.ended", "call.offered"):
            await self._note_consultation(message)
        if kind == "call.offered" and message.get("transferred_from"):
            message["transferred_from_name"] = await socket_threads.run(
                _staff_name, message["transferred_from"]
            )
        await self.send_json(message)

    async def _note_consultation(self, message: dict[str, Any]) -> None:
        """Who consults whom about which call, named for the screen; a consulted desk keeps
        the call's id to end the consultation if it drops."""
        if message["type"] != "consult.started":
            self.consulted_on = ""
        elif message.get("role") == "consulted":
            self.consulted_on = str(message.get("call_id") or "")
            message["consulting_agent_name"] = await socket_threads.run(
                _staff_name, message.get("consulting_agent_id")
            )
            message["lead"] = await socket_threads.run(_lead_name, message.get("lead_id"))
        else:
            message["colleague_name"] = await socket_threads.run(
                _staff_name, message.get("colleague_id")
            )

    def _card(self, message: dict[str, Any]) -> dict[str, Any]:
        call_id = str(message.get("call_id") or "")
        # A call put through was dialed seconds ago: its lead's records were read then, unless
        # the preparation fell behind.
        records = cards.prepared_records(call_id) if message["type"] == "call.offered" else None
        with translation.override(self.agent.language):
            return cards.lead_card(
                int(message["lead_id"]),
                int(message["campaign_id"]),
                call_id=call_id,
                number=str(message.get("number") or ""),
                agent=self.agent,
                records=records,
            )


# Cards of calls put through on threads of their own; the sockets' other work (sign-in check,
# snapshot, log-in) on others, so a floor connecting never delays a card; the cards of calls
# dialed on others again, so preparing never delays a call put through.
card_builders = KeptThreads(CARD_THREADS, "desk-card")
socket_threads = KeptThreads(SOCKET_THREADS, "desk-socket")
card_preparers = KeptThreads(PREPARE_THREADS, "desk-prepare")


async def prepare_cards(stop: asyncio.Event) -> None:
    """Prepare the card of each call the engines dial (`call.dialed` on `dialer.dialed`), until
    `stop`: the web process runs this beside its sockets."""
    layer = get_channel_layer()
    running: set[asyncio.Future[None]] = set()
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            receiving = asyncio.ensure_future(layer.receive(DIALED_CHANNEL))
            await asyncio.wait([receiving, stopping], return_when=asyncio.FIRST_COMPLETED)
            if not receiving.done():
                receiving.cancel()  # the message stays in Redis for another process
                break
            try:
                message = dict(receiving.result().get("message") or {})
            except Exception as error:  # the channel layer's store hiccuped
                logger.warning("desk: cannot take the dialed calls (%s); retrying", error)
                await asyncio.sleep(1.0)
                continue
            if len(running) >= PREPARING_AT_ONCE:
                await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            task = asyncio.ensure_future(_prepare(message))
            running.add(task)
            task.add_done_callback(running.discard)
    finally:
        stopping.cancel()


async def _prepare(message: dict[str, Any]) -> None:
    try:
        await card_preparers.run(
            cards.prepare_card, int(message["lead_id"]), str(message["call_id"])
        )
    except Exception:  # the card is built when the call is put through instead
        logger.exception("desk: could not prepare the card of %s", message)


def _present_agent(scope: dict[str, Any], connection: str) -> Any:
    """The signed-in agent of a socket, noted as present on this connection; None for anyone
    who may not open a desk."""
    user = signed_in_user(scope)
    if user is None or user.role not in DESK_ROLES:
        return None
    cache.set(_presence_key(user.pk), connection, timeout=24 * 3600)
    return user


def _presence_key(agent_id: int) -> str:
    return f"desk:connection:{agent_id}"


async def _pause_if_still_away(agent_id: int, connection: str) -> None:
    """The desk went away: if no new connection comes within the grace time, pause the agent
    (after their call, if they are on one: the engine never cuts it)."""
    await asyncio.sleep(away_pause_s())
    if await cache.aget(_presence_key(agent_id)) != connection:
        return  # the desk came back (or another one opened)
    state = await database_sync_to_async(services.agent_state)(agent_id)
    if state["state"] in (AgentState.LOGGED_OUT, AgentState.PAUSED):
        return
    logger.info("desk of agent %s lost for %.1f s: pausing", agent_id, away_pause_s())
    await send_command({"kind": "pause", "agent_id": agent_id, "reason": PauseReason.DISCONNECTED})


class TeamConsumer(AsyncJsonWebsocketConsumer):
    """A team leader's live view of their agents."""

    user: Any = None
    relays: list[tuple[str, str, asyncio.Task[None]]]

    async def connect(self) -> None:
        self.relays = []
        user = await database_sync_to_async(signed_in_user)(self.scope)
        if user is None or not await database_sync_to_async(services.may_supervise)(user):
            await self.close(code=4403)
            return
        self.user = user
        agent_ids = await database_sync_to_async(
            lambda: list(services.team_agents(user).values_list("pk", flat=True))
        )()
        await self.accept()
        # One channel per agent: the engine's messages to an agent do not name them.
        for agent_id in agent_ids:
            channel = await self.channel_layer.new_channel()
            group = f"agent.{agent_id}"
            await self.channel_layer.group_add(group, channel)
            task = asyncio.ensure_future(self._relay(agent_id, channel))
            self.relays.append((group, channel, task))
        await self.send_board()

    async def send_board(self) -> None:
        board = await database_sync_to_async(self._board)()
        await self.send_json({"type": "team.board", "agents": board})

    def _board(self) -> list[dict[str, Any]]:
        with translation.override(self.user.language):
            return services.team_board(self.user)

    async def _relay(self, agent_id: int, channel: str) -> None:
        while True:
            try:
                event = await self.channel_layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the channel layer's store hiccuped
                logger.warning("team view: channel layer unavailable (%s)", error)
                await asyncio.sleep(1.0)
                continue
            message = dict(event.get("message") or {})
            if message.get("type") == "call.offered" and message.get("lead_id"):
                message["lead"] = await database_sync_to_async(_lead_name)(message["lead_id"])
            await self.send_json({"type": "team.update", "agent_id": agent_id, "message": message})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("action") == "refresh":
            await self.send_board()
            return
        await self.send_json(
            {"type": "desk.error", "reason": _('The team view only understands "refresh".')}
        )

    async def disconnect(self, code: int) -> None:
        for group, channel, task in self.relays:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.channel_layer.group_discard(group, channel)
        self.relays = []


def _staff_name(staff_id: Any) -> str:
    from dialcrm.org.models import Staff

    person = Staff.objects.filter(pk=staff_id).first()
    return str(person) if person else ""


def _lead_name(lead_id: Any) -> str:
    from dialcrm.campaigns.models import Lead

    lead = Lead.objects.filter(pk=lead_id).first()
    return str(lead) if lead else ""


websocket_urlpatterns = [
    path("ws/desk/", DeskConsumer.as_asgi()),
    path("ws/desk/team/", TeamConsumer.as_asgi()),
]
