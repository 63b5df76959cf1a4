"""The desk's WebSocket against the real ASGI application, with the dialer engine running in
process on the simulated phone system: a call reaches the agent's screen with the lead's card;
bad, out-of-order and foreign messages are refused and change nothing; a reconnecting desk gets
its call and draft back; a desk gone too long gets its agent paused; a team leader's socket
follows the team."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.utils import timezone

from dialcrm.asgi import application
from dialcrm.core.choices import Role
from dialcrm.desk import cards, services
from dialcrm.desk.consumers import prepare_cards
from dialcrm.desk.models import Sale
from dialcrm.dialer.engine import Engine
from dialcrm.dialer.models import AgentStateInterval, CallAttempt
from dialcrm.dialer.realtime import COMMANDS_GROUP, ChannelsPublisher, receive_commands
from dialcrm.telephony.clock import Clock
from dialcrm.telephony.simulated import SimulatedGateway
from tests.conftest import signed_in
from tests.desk.conftest import EARLIER_NOTE, connected_call, make_desk_campaign
from tests.desk.sockets import SocketClient
from tests.dialer.engine.conftest import quick_customers

pytestmark = pytest.mark.django_db(transaction=True)
SPEEDUP = 10.0


async def db(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run ORM work in a thread whose connection is closed afterwards."""

    def run() -> Any:
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    return await sync_to_async(run, thread_sensitive=False)()


def _session_cookie(user: Any) -> str:
    return signed_in(user).cookies["sessionid"].value


async def open_socket(user: Any = None, path: str = "/ws/desk/") -> SocketClient:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        cookie = await db(_session_cookie, user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return SocketClient(application, path, headers=headers)


async def connected(user: Any, path: str = "/ws/desk/") -> SocketClient:
    socket = await open_socket(user, path)
    is_open, _code = await socket.connect(timeout=5)
    assert is_open
    return socket


async def at_work(user: Any, campaign_id: int) -> SocketClient:
    """A desk signed in, logged in to the campaign and asked to be ready: what comes next (the
    ready state, or a call) is the test's to expect."""
    socket = await connected(user)
    await expect(socket, "desk.snapshot")
    await socket.send_json_to({"action": "login", "campaign_id": campaign_id})
    await expect(socket, "agent.state")
    await socket.send_json_to({"action": "ready"})
    return socket


async def expect(socket: SocketClient, kind: str, timeout: float = 10.0) -> dict[str, Any]:
    """The next message of a kind (others on the way are skipped); a refusal fails the test."""

    async def wait() -> dict[str, Any]:
        while True:
            message = await socket.receive_json_from(timeout=timeout)
            if message["type"] == kind:
                return message
            if message["type"] in ("command.refused", "desk.error") and kind not in (
                "command.refused",
                "desk.error",
            ):
                raise AssertionError(f"refused: {message}")

    return await asyncio.wait_for(wait(), timeout)


@contextlib.asynccontextmanager
async def spy_on_commands() -> AsyncIterator[Any]:
    """A channel in the engines' commands group: what the desk sends them."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(COMMANDS_GROUP, channel)

    async def next_command(timeout: float = 2.0) -> dict[str, Any]:
        message = await asyncio.wait_for(layer.receive(channel), timeout)
        return message["command"]

    try:
        yield next_command
    finally:
        await layer.group_discard(COMMANDS_GROUP, channel)


@contextlib.asynccontextmanager
async def running_engine(campaign_id: int) -> AsyncIterator[Engine]:
    clock = Clock(speedup=SPEEDUP)
    gateway = SimulatedGateway(clock, quick_customers(human=1.0, busy=0.0), seed=4)
    engine = Engine(gateway, clock, ChannelsPublisher(), campaign_ids=[campaign_id])
    engine.sync_every_s = 0.3
    stop = asyncio.Event()
    run = asyncio.create_task(engine.run(stop))
    commands = asyncio.create_task(receive_commands(engine))
    for _ in range(100):
        if campaign_id in engine.runners:
            break
        await asyncio.sleep(0.05)
    try:
        yield engine
    finally:
        commands.cancel()
        stop.set()
        await asyncio.wait_for(run, timeout=30)
        await gateway.close()


# --- a call from the engine to the screen ------------------------------------------------------


async def test_a_call_reaches_the_desk_with_the_lead_s_card_and_closes_with_a_sale(org):
    desk = await db(make_desk_campaign, org)
    agent = desk.agent
    async with running_engine(desk.campaign.pk) as engine:
        published: dict[str, float] = {}
        engine.listen(
            agent.pk,
            lambda message: (
                published.setdefault(message.get("call_id", ""), time.perf_counter())
                if message["type"] == "call.offered"
                else None
            ),
        )
        socket = await connected(agent)
        snapshot = await expect(socket, "desk.snapshot")
        await socket.send_json_to({"action": "login", "campaign_id": desk.campaign.pk})
        logged_in = await expect(socket, "agent.state")
        await socket.send_json_to({"action": "ready"})
        ready = await expect(socket, "agent.state")
        offered = await expect(socket, "call.offered")
        received = time.perf_counter()
        await socket.send_json_to({"action": "hang_up"})
        after_hang_up = {}
        while len(after_hang_up) < 2:  # the state and the end, in either order
            message = await socket.receive_json_from(timeout=5)
            after_hang_up[message["type"]] = message
        ended, wrapping = after_hang_up["call.ended"], after_hang_up["agent.state"]

        recorded = await db(
            services.submit_disposition,
            agent,
            offered["call_id"],
            status_code="SALE",
            answers={"full_name": "Ana Pop", "plan": "Plus"},
            idempotency_key="consumer-test-key",
            products=[services.ProductLine(desk.products[0].pk, 1)],
            go_ready=False,
            pause_reason="break",
        )
        paused = await expect(socket, "agent.state")
        await asyncio.sleep(0.3)  # the engine's record thread writes the status
        await socket.disconnect()

    latency_ms = (received - published[offered["call_id"]]) * 1000
    attempt = await db(
        lambda: CallAttempt.objects.select_related("status").get(pk=recorded.disposition.attempt_id)
    )
    sale = await db(lambda: Sale.objects.get())
    card = offered["card"]
    assert snapshot["session"] is None and snapshot["call"] is None
    assert snapshot["state"]["state"] == "logged_out"
    assert (logged_in["state"], ready["state"]) == ("paused", "ready")
    assert card["call_id"] == offered["call_id"]
    assert card["lead"]["name"].startswith("Lead")
    assert card["history"][0]["note"] == EARLIER_NOTE
    assert 'name="ws_plan"' in card["sheet"]["html"]
    assert ended["call_id"] == offered["call_id"]
    assert wrapping["state"] == "wrap_up"
    assert (paused["state"], paused["reason"]) == ("paused", "break")
    assert attempt.status.code == "SALE" and attempt.agent_id == agent.pk
    assert sale.state == "pending"
    # The engine's message to the screen, card included, well inside the connect window.
    assert latency_ms < 1000, latency_ms


async def test_the_web_process_prepares_the_card_of_each_call_the_engine_dials(org):
    desk = await db(make_desk_campaign, org)
    stop = asyncio.Event()
    preparing = asyncio.create_task(prepare_cards(stop))
    try:
        async with running_engine(desk.campaign.pk):
            socket = await at_work(desk.agent, desk.campaign.pk)
            offered = await expect(socket, "call.offered")
            prepared = None
            for _ in range(100):  # prepared on the web process' own threads
                prepared = await db(cards.prepared_records, offered["call_id"])
                if prepared is not None:
                    break
                await asyncio.sleep(0.05)
            await socket.disconnect()
    finally:
        stop.set()
        await asyncio.wait_for(preparing, timeout=10)

    assert prepared is not None
    assert prepared.lead.pk == offered["lead_id"]
    assert [phone.number for phone in prepared.phones] == [offered["number"]]
    assert EARLIER_NOTE in [row[-1] for row in prepared.attempts]


async def test_a_call_put_through_gets_the_card_prepared_when_it_was_dialed(org, monkeypatch):
    desk = await db(make_desk_campaign, org)
    lead = desk.leads[0]
    number = await db(lambda: lead.phones.get().number)
    call_id = str(uuid.uuid4())
    await db(cards.prepare_card, lead.pk, call_id)
    socket = await connected(desk.agent)
    await expect(socket, "desk.snapshot")

    def read_again(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the lead was read again at the answer")

    monkeypatch.setattr(cards, "read_lead", read_again)
    await get_channel_layer().group_send(
        f"agent.{desk.agent.pk}",
        {
            "type": "dialer.message",
            "message": {
                "type": "call.offered",
                "call_id": call_id,
                "campaign_id": desk.campaign.pk,
                "lead_id": lead.pk,
                "number": number,
            },
        },
    )
    offered = await expect(socket, "call.offered")
    await socket.disconnect()

    card = offered["card"]
    assert (card["call_id"], card["lead_id"], card["number"]) == (call_id, lead.pk, number)
    assert card["history"][0]["note"] == EARLIER_NOTE
    assert card["script"] == (
        f"Good morning {lead.first_name or lead}, I am {desk.agent.first_name} from Energia, "
        "about your bill."
    )


async def test_hold_then_transfer_to_a_ready_colleague_who_gets_the_card_and_the_status(org):
    from django.http import Http404

    desk = await db(make_desk_campaign, org, leads=1)  # one lead: the colleague gets no own call
    agent, teammate = desk.agent, desk.teammate
    async with running_engine(desk.campaign.pk):
        first = await at_work(agent, desk.campaign.pk)
        offered = await expect(first, "call.offered")  # after the state "on a call"
        await first.send_json_to({"action": "hold"})
        held = await expect(first, "call.hold")
        await first.send_json_to({"action": "unhold"})
        resumed = await expect(first, "call.hold")

        second = await at_work(teammate, desk.campaign.pk)
        await expect(second, "agent.state")
        targets: list[dict[str, Any]] = []
        for _ in range(50):  # the engine records the colleague's state in its own thread
            targets = await db(services.transfer_targets, agent)
            if targets:
                break
            await asyncio.sleep(0.1)
        await first.send_json_to({"action": "transfer", "to_agent_id": teammate.pk})
        transferred = await expect(first, "call.transferred")
        taken = await expect(second, "call.offered")
        await asyncio.sleep(0.3)  # the engine's record thread notes the transfer
        recorded = await db(
            services.submit_disposition,
            teammate,
            offered["call_id"],
            status_code="NI",
            answers={},
            idempotency_key="transfer-test-key",
        )
        await first.disconnect()
        await second.disconnect()

    def first_agent_reaches_the_call() -> bool:
        try:
            services.access_call(agent, offered["call_id"])
        except Http404:
            return False
        return True

    attempt = await db(lambda: CallAttempt.objects.get(call_id=offered["call_id"]))
    assert (held["on_hold"], resumed["on_hold"]) == (True, False)
    assert targets == [
        {"id": teammate.pk, "name": str(teammate), "role": "agent", "role_label": "agent"}
    ]
    assert transferred["to_agent_id"] == teammate.pk
    assert taken["call_id"] == offered["call_id"]
    assert taken["card"]["lead"]["name"] == offered["card"]["lead"]["name"]
    assert taken["transferred_from_name"] == str(agent)
    assert recorded.disposition.agent_id == teammate.pk
    assert (attempt.agent_id, attempt.transferred_from_id) == (teammate.pk, agent.pk)
    assert not await db(first_agent_reaches_the_call)  # the call is the colleague's now


async def _agent_and_ready_colleague(desk: Any) -> tuple[SocketClient, SocketClient, Any]:
    """The first agent on a call, the colleague ready (both desks logged in)."""
    first = await at_work(desk.agent, desk.campaign.pk)
    offered = await expect(first, "call.offered")
    second = await at_work(desk.teammate, desk.campaign.pk)
    await expect(second, "agent.state")
    return first, second, offered


async def test_consult_a_colleague_then_complete_the_transfer_over_the_desks(org):
    desk = await db(make_desk_campaign, org, leads=1)  # one lead: the colleague gets no own call
    agent, teammate = desk.agent, desk.teammate
    async with running_engine(desk.campaign.pk):
        first, second, offered = await _agent_and_ready_colleague(desk)
        await first.send_json_to({"action": "consult", "to_agent_id": teammate.pk})
        consulting = await expect(first, "consult.started")
        consulted = await expect(second, "consult.started")
        await first.send_json_to({"action": "consult_conference"})
        joined = await expect(second, "consult.conference")
        await first.send_json_to({"action": "consult_transfer"})
        ended = await expect(second, "consult.ended")
        taken = await expect(second, "call.offered")
        transferred = await expect(first, "call.transferred")
        await first.disconnect()
        await second.disconnect()

    assert (consulting["role"], consulting["colleague_name"]) == ("consulting", str(teammate))
    assert consulted["role"] == "consulted"
    assert consulted["consulting_agent_name"] == str(agent)
    assert consulted["lead"] == offered["card"]["lead"]["name"]
    assert consulted["number"] == offered["number"]
    assert joined["call_id"] == offered["call_id"]
    assert ended["reason"] == "transferred"
    assert (taken["call_id"], taken["transferred_from_name"]) == (offered["call_id"], str(agent))
    assert taken["card"]["lead"]["name"] == offered["card"]["lead"]["name"]
    assert transferred["to_agent_id"] == teammate.pk


async def test_a_consulted_desk_that_drops_ends_the_consultation_and_refusals_are_worded(org):
    desk = await db(make_desk_campaign, org, leads=1)
    agent, teammate = desk.agent, desk.teammate
    async with running_engine(desk.campaign.pk):
        first, second, offered = await _agent_and_ready_colleague(desk)
        await first.send_json_to({"action": "consult", "to_agent_id": "the team leader"})
        malformed = await expect(first, "desk.error")
        await first.send_json_to({"action": "consult_cancel"})
        not_consulting = await expect(first, "command.refused")
        await first.send_json_to({"action": "consult", "to_agent_id": agent.pk})
        to_self = await expect(first, "command.refused")
        await second.send_json_to({"action": "consult_conference"})  # ready, not on a call
        colleague_not_on_call = await expect(second, "desk.error")
        await first.send_json_to({"action": "consult", "to_agent_id": teammate.pk})
        await expect(second, "consult.started")
        await expect(first, "consult.started")
        await second.disconnect()  # the colleague's browser drops
        ended = await expect(first, "consult.ended")
        back = await expect(first, "call.hold")
        await first.disconnect()

    assert malformed["reason"] == "to_agent_id must be the number of the colleague to consult."
    assert not_consulting["reason"] == "You are not consulting anyone about this call."
    assert to_self["reason"] == "Choose a colleague to consult, not yourself."
    assert colleague_not_on_call["reason"] == "You are not on a call."
    assert (ended["reason"], ended["by_agent_id"]) == ("cancelled", teammate.pk)
    assert (back["call_id"], back["on_hold"]) == (offered["call_id"], False)


async def test_ten_calls_in_a_row_each_reach_the_desk_with_their_card(org):
    """Ten calls in a row: each one the engine offers reaches the agent's socket with its card
    (the time it took is printed; bench/desk.py measures the latency at scale, never a test)."""
    desk = await db(make_desk_campaign, org, leads=12)
    agent = desk.agent
    latencies: list[float] = []
    card_ms: list[float] = []
    offers: list[dict] = []
    async with running_engine(desk.campaign.pk) as engine:
        published: dict[str, float] = {}
        engine.listen(
            agent.pk,
            lambda message: (
                published.__setitem__(message["call_id"], time.perf_counter())
                if message["type"] == "call.offered"
                else None
            ),
        )
        socket = await at_work(agent, desk.campaign.pk)
        for number in range(10):
            offered = await expect(socket, "call.offered")
            offers.append(offered)
            latencies.append((time.perf_counter() - published[offered["call_id"]]) * 1000)
            card_ms.append(offered["card_ms"])
            await db(
                services.submit_disposition,
                agent,
                offered["call_id"],
                status_code="NI",
                answers={},
                idempotency_key=f"latency-key-{number:04d}",
            )
        await socket.disconnect()

    print(
        f"\nanswer-to-desk over the channel layer, card included: median "
        f"{statistics.median(latencies):.1f} ms, max {max(latencies):.1f} ms; building the card: "
        f"median {statistics.median(card_ms):.1f} ms, max {max(card_ms):.1f} ms"
    )
    assert len({offer["call_id"] for offer in offers}) == 10  # ten different calls
    assert len({offer["card"]["lead_id"] for offer in offers}) == 10  # ten different leads
    assert all(offer["card"]["lead"]["name"] for offer in offers)


async def test_preview_mode_shows_the_lead_before_the_agent_dials(org):
    desk = await db(make_desk_campaign, org, dial_mode="preview")
    agent = desk.agent
    async with running_engine(desk.campaign.pk):
        socket = await at_work(agent, desk.campaign.pk)
        await expect(socket, "agent.state")
        await socket.send_json_to({"action": "preview_next"})
        previewed = await expect(socket, "lead.previewed")
        dialled_before = await db(
            lambda: CallAttempt.objects.filter(agent__isnull=True, outcome="in_progress").count()
        )
        await socket.send_json_to({"action": "dial"})
        dialing = await expect(socket, "call.dialing")
        offered = await expect(socket, "call.offered")
        await socket.disconnect()

    assert previewed["card"]["lead"]["name"] == "Lead0"
    assert previewed["card"]["history"][0]["note"] == EARLIER_NOTE
    assert dialled_before == 0
    assert dialing["lead_id"] == previewed["lead_id"] == offered["lead_id"]
    assert offered["call_id"] == dialing["call_id"]


# --- what the browser may say ---------------------------------------------------------------------


async def test_bad_and_out_of_order_messages_are_refused_and_nothing_is_sent(org):
    desk = await db(make_desk_campaign, org)
    socket = await connected(desk.agent)
    await expect(socket, "desk.snapshot")
    refusals = []
    async with spy_on_commands() as next_command:
        await socket.send_to(text_data="this is not json")
        refusals.append(await socket.receive_json_from())
        for message in (
            [1, 2],
            {"action": "teleport"},
            {"action": "ready", "agent_id": desk.teammate.pk},
            {"action": "pause", "reason": "nap"},
            {"action": "pause", "reason": "break", "minutes": 5},
            {"action": "dial", "number": "call my mum"},
            {"action": "login", "campaign_id": "7"},
            {"action": "hang_up"},
            {"action": "ready"},
            {"action": "preview_next"},
            {"action": "login"},
            {"action": "transfer", "to_agent_id": "North.Teammate"},
            {"action": "transfer", "to_agent_id": desk.teammate.pk},
            {"action": "hold"},
        ):
            await socket.send_json_to(message)
            refusals.append(await socket.receive_json_from())
        await socket.send_json_to({"action": "ping"})
        pong = await socket.receive_json_from()
        with pytest.raises(asyncio.TimeoutError):
            await next_command(timeout=0.5)
    await socket.disconnect()

    assert [refusal["type"] for refusal in refusals] == ["desk.error"] * 15
    assert [refusal["reason"] for refusal in refusals] == [
        "This is not JSON.",
        'Send an object such as {"action": "ready"}.',
        'Unknown action "teleport": use one of consult, consult_cancel, consult_conference, '
        "consult_transfer, dial, hang_up, hold, login, logout, pause, ping, preview_next, "
        "ready, skip, transfer, unhold.",
        "Do not name an agent: the desk always acts for the signed-in person.",
        "reason must be one of break, lunch, training, meeting, technical, other.",
        "Unknown fields for pause: minutes.",
        '"call my mum" is not a phone number.',
        "campaign_id must be a whole number.",
        "You are not on a call.",
        "Log in to a campaign first.",
        "This campaign dials for you: no preview or manual dialing here.",
        "Choose a campaign on the start-of-work screen first.",
        "to_agent_id must be the number of the agent who takes the call.",
        "You are not on a call.",
        "You are not on a call.",
    ]
    assert pong == {"type": "desk.pong"}


async def test_the_engines_refusals_reach_the_agent_in_their_language(org):
    from django.utils import translation

    desk = await db(make_desk_campaign, org)
    desk.agent.language = "ro"
    await db(desk.agent.save, update_fields=["language"])
    socket = await connected(desk.agent)
    await expect(socket, "desk.snapshot")
    layer = get_channel_layer()
    for code, params in (
        ("not_on_call", {}),
        ("do_not_call", {"number": "+40744999999"}),
        ("a_code_from_a_newer_engine", {}),
    ):
        await layer.group_send(
            f"agent.{desk.agent.pk}",
            {
                "type": "dialer.message",
                "message": {
                    "type": "command.refused",
                    "command": "dial",
                    "code": code,
                    "params": params,
                },
            },
        )
    worded = [(await expect(socket, "command.refused"))["reason"] for _ in range(3)]
    await socket.disconnect()

    with translation.override("ro"):
        from django.utils.translation import gettext

        assert worded[0] == gettext("You are not on a call.")
        assert worded[0] != "You are not on a call."  # the Romanian catalogue words it
    assert "+40744999999" in worded[1]
    assert "a_code_from_a_newer_engine" in worded[2]


async def test_an_agent_cannot_log_in_to_a_campaign_they_are_not_assigned_to(org):
    desk = await db(make_desk_campaign, org)
    socket = await connected(org["south_agent"])
    await expect(socket, "desk.snapshot")
    async with spy_on_commands() as next_command:
        await socket.send_json_to({"action": "login", "campaign_id": desk.campaign.pk})
        refusal = await socket.receive_json_from()
        with pytest.raises(asyncio.TimeoutError):
            await next_command(timeout=0.5)
    await socket.disconnect()

    assert refusal == {
        "type": "desk.error",
        "action": "login",
        "reason": "Choose one of your running campaigns.",
    }


async def test_the_desk_sends_the_signed_in_agent_s_commands(org):
    desk = await db(make_desk_campaign, org)
    await db(connected_call, desk)  # on a call: hang up and pause make sense
    await db(
        lambda: AgentStateInterval.objects.create(
            agent=desk.agent, campaign=desk.campaign, state="on_call", started_at=timezone.now()
        )
    )
    socket = await connected(desk.agent)
    await expect(socket, "desk.snapshot")
    async with spy_on_commands() as next_command:
        await socket.send_json_to({"action": "hang_up"})
        hang_up = await next_command()
        await socket.send_json_to({"action": "pause", "reason": "lunch"})
        pause = await next_command()
        await socket.send_json_to({"action": "logout"})
        logout = await next_command()
    await socket.disconnect()

    assert hang_up == {"kind": "hang_up", "agent_id": desk.agent.pk}
    assert pause == {"kind": "pause", "agent_id": desk.agent.pk, "reason": "lunch"}
    assert logout == {"kind": "logout", "agent_id": desk.agent.pk}


async def test_a_desk_hears_only_its_own_agent(org):
    desk = await db(make_desk_campaign, org)
    mine = await connected(desk.agent)
    theirs = await connected(desk.teammate)
    await expect(mine, "desk.snapshot")
    await expect(theirs, "desk.snapshot")

    await get_channel_layer().group_send(
        f"agent.{desk.teammate.pk}",
        {"type": "dialer.message", "message": {"type": "agent.state", "state": "ready"}},
    )
    heard = await theirs.receive_json_from()

    assert heard == {"type": "agent.state", "state": "ready"}
    assert await mine.receive_nothing(timeout=0.3)
    await mine.disconnect()
    await theirs.disconnect()


@pytest.mark.parametrize(
    "who, path",
    [
        (None, "/ws/desk/"),
        (Role.ADMINISTRATOR, "/ws/desk/"),
        (Role.QUALITY, "/ws/desk/"),
        (Role.AGENT, "/ws/desk/team/"),
        (None, "/ws/desk/team/"),
    ],
)
async def test_sockets_refuse_who_may_not_use_them(org, who, path):
    socket = await open_socket(org[who] if who else None, path)

    is_open, code = await socket.connect(timeout=5)

    assert (is_open, code) == (False, 4403)


async def test_a_socket_from_another_site_is_refused(org):
    cookie = await db(_session_cookie, org[Role.AGENT])
    socket = SocketClient(
        application,
        "/ws/desk/",
        headers=[(b"origin", b"http://evil.example"), (b"cookie", f"sessionid={cookie}".encode())],
    )

    is_open, _code = await socket.connect(timeout=5)

    assert is_open is False


# --- resilience ------------------------------------------------------------------------------------


async def test_a_reconnecting_desk_gets_its_call_and_draft_back(org):
    desk = await db(make_desk_campaign, org)
    call = await db(connected_call, desk)
    await db(connected_call, desk, agent=desk.teammate, lead=desk.leads[1])
    await db(
        services.save_draft,
        desk.agent,
        call.call_id,
        {"answers": {"full_name": "Ana Po"}, "status": "SALE", "key": "draft-key-123"},
    )

    socket = await connected(desk.agent)
    snapshot = await expect(socket, "desk.snapshot")
    await socket.disconnect()

    restored = snapshot["call"]
    assert restored["call_id"] == str(call.call_id)
    assert restored["lead"]["name"] == "Lead0"
    assert restored["draft"] == {
        "answers": {"full_name": "Ana Po"},
        "status": "SALE",
        "key": "draft-key-123",
    }
    assert 'value="Ana Po"' in restored["sheet"]["html"]
    assert restored["elapsed_s"] >= 12


async def test_a_desk_gone_too_long_gets_its_agent_paused_and_a_quick_return_does_not(
    org, settings
):
    settings.DESK_AWAY_PAUSE_S = 0.3
    desk = await db(make_desk_campaign, org)
    await db(
        lambda: AgentStateInterval.objects.create(
            agent=desk.agent, campaign=desk.campaign, state="on_call", started_at=timezone.now()
        )
    )
    async with spy_on_commands() as next_command:
        socket = await connected(desk.agent)
        await expect(socket, "desk.snapshot")
        await socket.disconnect()
        back = await connected(desk.agent)  # the network came back at once
        await expect(back, "desk.snapshot")
        with pytest.raises(asyncio.TimeoutError):
            await next_command(timeout=0.6)
        await back.disconnect()
        pause = await next_command(timeout=2.0)

    assert pause == {"kind": "pause", "agent_id": desk.agent.pk, "reason": "disconnected"}


# --- the team leader's socket -------------------------------------------------------------------------


async def test_a_team_leader_follows_the_team_live(org):
    desk = await db(make_desk_campaign, org)
    await db(connected_call, desk)
    leader = await connected(org[Role.TEAM_LEADER], "/ws/desk/team/")
    board = await expect(leader, "team.board")

    layer = get_channel_layer()
    await layer.group_send(
        f"agent.{org['south_agent'].pk}",
        {"type": "dialer.message", "message": {"type": "agent.state", "state": "ready"}},
    )
    await layer.group_send(
        f"agent.{desk.teammate.pk}",
        {
            "type": "dialer.message",
            "message": {"type": "agent.state", "state": "paused", "reason": "lunch"},
        },
    )
    update = await expect(leader, "team.update")
    await leader.send_json_to({"action": "refresh"})
    again = await expect(leader, "team.board")
    await leader.disconnect()

    names = {row["name"]: row for row in board["agents"]}
    assert set(names) == {"North.Agent", "North.Teammate"}
    assert names["North.Agent"]["call"]["lead"] == "Lead0"
    assert update == {
        "type": "team.update",
        "agent_id": desk.teammate.pk,
        "message": {"type": "agent.state", "state": "paused", "reason": "lunch"},
    }
    assert len(again["agents"]) == 2


async def test_manual_mode_dials_the_agent_s_number_and_passes_on_the_rules_refusals(org):
    from dialcrm.campaigns.models import DncList, DncNumber

    desk = await db(make_desk_campaign, org, dial_mode="manual")

    def block() -> None:
        national = DncList.objects.create(company=org.company, name="National")
        DncNumber.objects.create(dnc_list=national, number="+40744999999")
        desk.campaign.dnc_lists.add(national)

    await db(block)
    async with running_engine(desk.campaign.pk):
        socket = await at_work(desk.agent, desk.campaign.pk)
        await expect(socket, "agent.state")
        await socket.send_json_to({"action": "dial", "number": "0744 999 999"})
        refused = await expect(socket, "command.refused")
        await socket.send_json_to({"action": "dial", "number": "(0744) 123-456"})
        dialing = await expect(socket, "call.dialing")
        offered = await expect(socket, "call.offered")
        await socket.disconnect()

    assert refused == {
        "type": "command.refused",
        "command": "dial",
        "code": "do_not_call",
        "params": {"number": "+40744999999"},
        "reason": "+40744999999 is on a do-not-call list.",
        "agent_id": desk.agent.pk,
    }
    assert dialing["number"] == offered["number"] == "+40744123456"
    assert dialing["card"]["phones"][0]["number"] == "+40744123456"
    assert offered["call_id"] == dialing["call_id"]


async def test_the_engine_stopping_the_campaign_tells_the_agent_why_in_their_language(org):
    from django.utils import translation

    from dialcrm.campaigns.choices import StopReason

    desk = await db(make_desk_campaign, org)
    desk.agent.language = "ro"
    await db(desk.agent.save, update_fields=["language"])
    socket = await connected(desk.agent)
    await expect(socket, "desk.snapshot")
    message = {
        "type": "campaign.stopped",
        "campaign_id": desk.campaign.pk,
        "state": "completed",
        "reason": "objective_reached",
        "label": "Objective reached",
    }
    layer = get_channel_layer()
    await layer.group_send(f"agent.{desk.agent.pk}", {"type": "dialer.message", "message": message})
    stopped = await expect(socket, "campaign.stopped")
    await socket.disconnect()

    with translation.override("ro"):
        assert stopped["label"] == str(StopReason.OBJECTIVE_REACHED.label)
    assert (stopped["reason"], stopped["state"]) == ("objective_reached", "completed")
