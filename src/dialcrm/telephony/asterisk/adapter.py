"""The Asterisk adapter of the telephony gateway: ARI's REST resources and one events WebSocket.

A customer call, step by step (the dialplan it relies on is in deploy/asterisk/extensions.conf):

1. `originate` posts `/channels` with our call id as `channelId`, our Stasis application as `app`
   and `dial` as its argument. The application is subscribed to the channel at once, so calls
   that are never answered still report `Dial`, `ChannelStateChange` and `ChannelDestroyed`.
2. `Dial` RINGING or the state `Ringing` -> `CallProgress` (once).
3. On answer the channel enters the application with the argument `dial`; the adapter sends it
   on to the AMD context (`POST /channels/{id}/continue`), where `AMD()` listens to the greeting
   and `Stasis()` brings it back with `amd,AMDSTATUS,AMDCAUSE` -> `CallAnswered` (HUMAN,
   MACHINE, or UNSURE for NOTSURE; HANGUP reports nothing, the end follows).
4. `ChannelDestroyed.cause`, a Q.850 code, -> `CallEnded` through `cause_from_q850`; the dial
   status text is never used (Asterisk turns unknown statuses into NOANSWER).

Agents stay connected: `attach_agent` creates the agent's own mixing bridge `agent-<id>`, calls
their phone once into the application and adds it to the bridge; `connect` adds an answered
customer to that bridge, so nobody's phone rings while the customer waits.

The events stream is held by exactly one process: a second connection for the same application
takes it over, this adapter then receives `ApplicationReplaced`, stops, and `events()` raises
`GatewayError`. When the stream drops it reconnects with exponential backoff and reconciles with
`GET /channels`: calls that vanished meanwhile end (FAILED, or NORMAL once answered), calls that
moved on (answered, AMD done) are caught up from the channel snapshot.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import math
import random
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import connect as websocket_connect

from dialcrm.telephony.asterisk.client import AriClient, AriError, segment
from dialcrm.telephony.asterisk.config import AriConfig
from dialcrm.telephony.gateway import (
    AnsweredBy,
    CallAnswered,
    CallEnded,
    CallExists,
    CallProgress,
    EndCause,
    Gateway,
    GatewayError,
    GatewayEvent,
    Originate,
    cause_from_q850,
)

log = logging.getLogger(__name__)

# The first Stasis argument tells why a channel is in the application.
ARG_DIAL = "dial"  # a customer call just answered, on its way to AMD
ARG_AMD = "amd"  # back from the AMD context: amd,AMDSTATUS,AMDCAUSE
ARG_AGENT = "agent"  # an agent's phone line: agent,<staff id>

AGENT_PREFIX = "agent-"  # agent bridges are agent-<id>, their lines agent-<id>-<random>
FAR_LEG_SUFFIX = ".far"  # the second leg of a Local channel

AMD_VERDICTS = {
    "HUMAN": AnsweredBy.HUMAN,
    "MACHINE": AnsweredBy.MACHINE,
    "NOTSURE": AnsweredBy.UNSURE,
}
AMD_HANGUP = "HANGUP"

# DELETE /channels/{id}?reason= for each of our causes.
HANGUP_REASONS = {
    EndCause.NORMAL: "normal",
    EndCause.BUSY: "busy",
    EndCause.NO_ANSWER: "no_answer",
    EndCause.CONGESTION: "congestion",
    EndCause.REJECTED: "rejected",
    EndCause.INVALID_NUMBER: "unallocated",
    EndCause.FAILED: "failure",
}
MEDIA_SCHEMES = ("sound:", "recording:", "number:", "digits:", "characters:", "tone:")
# Recording names become file names in Asterisk's spool and segments of REST paths.
RECORDING_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


class _IdMemory:
    """The last `size` ids seen, oldest forgotten first (ids are never reused, but a process
    that runs for weeks must not keep every one)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def add(self, item: str) -> None:
        self._ids[item] = None
        self._ids.move_to_end(item)
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)

    def __contains__(self, item: object) -> bool:
        return item in self._ids


@dataclass(eq=False)
class _Call:
    """What the adapter knows of one customer call."""

    call_id: str
    is_answered: bool = False
    is_progress_reported: bool = False
    is_answer_reported: bool = False
    is_sent_to_amd: bool = False
    bridge_id: str | None = None
    held_from: str | None = None  # on hold: the agent's bridge it was taken out of
    recording: str | None = None
    pending_recording: str | None = None
    far_leg_id: str | None = None
    far_cause: int | None = None
    is_end_pending: bool = False
    end_timer: asyncio.TimerHandle | None = None
    playbacks: set[str] = field(default_factory=set)


@dataclass(eq=False)
class _AgentLine:
    """An agent's phone, called once at the start of their session and kept in their bridge."""

    agent_id: int
    endpoint: str
    channel_id: str
    bridge_id: str
    answered: asyncio.Future[None]
    is_up: bool = False
    ended_because: str = ""
    visiting: str | None = None  # consulting a colleague: the colleague's bridge it is in


class _StreamTakenOver:
    """Queued after ApplicationReplaced: `events()` raises instead of waiting forever."""


def agent_bridge_id(agent_id: int) -> str:
    return f"{AGENT_PREFIX}{agent_id}"


class AsteriskGateway(Gateway):
    """The telephony gateway over Asterisk's ARI. The events stream opens with `start()`, or
    by itself with the first command or the first wait for an event.

    Event times (`at`) are taken from `now` when the event arrives (the wall clock by default),
    not from Asterisk's timestamps, so they compare with the engine's clock whatever the skew
    between the hosts."""

    def __init__(
        self,
        config: AriConfig,
        *,
        now: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self._client = AriClient(config, transport)
        self._now = now
        self._queue: asyncio.Queue[GatewayEvent | _StreamTakenOver] = asyncio.Queue()
        self._calls: dict[str, _Call] = {}
        self._far_legs: dict[str, str] = {}  # far leg id -> call id
        self._ended = _IdMemory(100_000)
        self._placed = _IdMemory(1_000_000)
        self._agents: dict[int, _AgentLine] = {}
        self._agent_channels: dict[str, _AgentLine] = {}
        self._playbacks: dict[str, asyncio.Future[str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stream_task: asyncio.Task[None] | None = None
        self._stream_up = asyncio.Event()
        self._has_connected = False
        self._is_closing = False
        self._last_stream_error = "not connected yet"
        self.is_replaced = False
        self.connections = 0  # how many times the events stream was opened

    # --- the events stream --------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        return self._stream_up.is_set() and not self.is_replaced

    async def start(self) -> None:
        """Open the events stream (and keep it open); fails if it cannot within the connect
        timeout, leaving the adapter ready for another `start()`. Optional: the first command or
        the first wait for an event opens the stream too."""
        self._ensure_stream()
        try:
            async with asyncio.timeout(self.config.connect_timeout_s):
                await self._stream_up.wait()
        except TimeoutError:
            await self._stop_stream()
            raise GatewayError(
                f"could not open the events stream of ARI application {self.config.app!r} at "
                f"{self.config.events_url} within {self.config.connect_timeout_s:g} s: "
                f"{self._last_stream_error}"
            ) from None

    def _ensure_stream(self) -> None:
        """Start holding the events stream unless it is held, closed or taken over."""
        if self._is_closing or self.is_replaced:
            return
        if self._stream_task is None or self._stream_task.done():
            self._stream_task = asyncio.create_task(
                self._hold_stream(), name=f"ari-events-{self.config.app}"
            )

    async def _require_stream(self) -> None:
        """Calls are placed only while their events can be followed: wait a little for the
        stream (it may be opening), then refuse."""
        self._ensure_stream()
        if not self.is_connected and not self.is_replaced and not self._is_closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.request_timeout_s):
                    await self._stream_up.wait()
        if not self.is_connected:
            raise GatewayError(self._stream_down_message())

    async def _hold_stream(self) -> None:
        failures = 0
        authorization = "Basic " + base64.b64encode(
            f"{self.config.user}:{self.config.password}".encode()
        ).decode("ascii")
        while not self._is_closing and not self.is_replaced:
            try:
                async with websocket_connect(
                    self.config.events_url,
                    additional_headers={"Authorization": authorization},
                    open_timeout=self.config.connect_timeout_s,
                    ping_interval=self.config.ping_interval_s,
                    ping_timeout=self.config.ping_interval_s,
                    close_timeout=1,
                    max_size=2**22,
                ) as socket:
                    failures = 0
                    self.connections += 1
                    if self._has_connected:
                        log.warning("ARI events stream of %r reopened", self.config.app)
                        # Events wait in the socket while the snapshot is read, then apply on
                        # top of it; every step below is idempotent.
                        await self._reconcile()
                    self._has_connected = True
                    self._stream_up.set()
                    async for message in socket:
                        self._dispatch(message)
                        if self.is_replaced:
                            break
            except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as error:
                self._last_stream_error = _describe_stream_error(error)
                log.warning("ARI events stream: %s", self._last_stream_error)
            except GatewayError as error:  # the reconciliation's requests
                self._last_stream_error = str(error)
                log.warning("ARI events stream: reconciliation failed: %s", error)
            finally:
                self._stream_up.clear()
            if self._is_closing or self.is_replaced:
                return
            delay = min(self.config.reconnect_max_s, self.config.reconnect_min_s * 2**failures)
            failures += 1
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))

    async def _stop_stream(self) -> None:
        task, self._stream_task = self._stream_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _reconcile(self) -> None:
        """After a gap in the stream: end the calls Asterisk no longer has, catch up the rest."""
        channels = await self._client.request("GET", "channels")
        snapshots = {channel["id"]: channel for channel in channels}
        for call in list(self._calls.values()):
            snapshot = snapshots.get(call.call_id)
            if snapshot is None:
                code = call.far_cause if call.is_end_pending else None
                self._finish(call, code)
            else:
                self._catch_up(call, snapshot)
        for line in list(self._agents.values()):
            if line.is_up and line.channel_id not in snapshots:
                self._line_ended(line, "it hung up while the events stream was down")

    def _catch_up(self, call: _Call, snapshot: dict[str, Any]) -> None:
        state = snapshot.get("state")
        if state == "Ringing":
            self._progress(call)
        if state != "Up":
            return
        call.is_answered = True
        dialplan = snapshot.get("dialplan") or {}
        if dialplan.get("app_name") != "Stasis":
            return  # still in the AMD context: its StasisStart is still to come
        app, *args = str(dialplan.get("app_data", "")).split(",")
        if app == self.config.app:
            self._entered_application(call, args)

    def _dispatch(self, message: str | bytes) -> None:
        try:
            event = json.loads(message)
        except ValueError:
            log.warning("ARI sent something that is not JSON: %.200r", message)
            return
        if not isinstance(event, dict):
            return
        try:
            self._handle(event)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            log.warning("ARI event %s was malformed (%s): %.500r", event.get("type"), error, event)

    def _handle(self, event: dict[str, Any]) -> None:
        match event.get("type"):
            case "StasisStart":
                self._on_stasis_start(event["channel"]["id"], list(event.get("args") or []))
            case "Dial":
                if event.get("dialstatus") == "RINGING":
                    call = self._call_for_event(event["peer"]["id"])
                    if call is not None:
                        self._progress(call)
            case "ChannelStateChange":
                self._on_state_change(event["channel"]["id"], event["channel"]["state"])
            case "ChannelDestroyed":
                self._on_destroyed(event["channel"]["id"], int(event.get("cause") or 0), event)
            case "ChannelLeftBridge":
                self._on_left_bridge(event["channel"]["id"], event["bridge"]["id"])
            case "PlaybackFinished":
                playback = event["playback"]
                future = self._playbacks.get(playback["id"])
                if future is not None and not future.done():
                    future.set_result(str(playback.get("state", "done")))
            case "RecordingFailed":
                recording = event["recording"]
                log.warning(
                    "recording %s of %s failed: %s",
                    recording.get("name"),
                    recording.get("target_uri"),
                    recording.get("cause", "no cause given"),
                )
            case "ApplicationReplaced":
                log.error(
                    "another process took over ARI application %r; this one stops",
                    self.config.app,
                )
                self.is_replaced = True
                self._queue.put_nowait(_StreamTakenOver())
            case _:
                pass

    # --- events, one by one ---------------------------------------------------------------------

    def _call_for_event(self, channel_id: str) -> _Call | None:
        """The call a channel's event is about. A channel of our application that this process
        did not originate (placed before a restart) is followed from its first event on."""
        if channel_id in self._agent_channels or channel_id in self._far_legs:
            return None
        call = self._calls.get(channel_id)
        if call is None:
            if (
                channel_id in self._ended
                or channel_id.startswith(AGENT_PREFIX)
                or channel_id.endswith(FAR_LEG_SUFFIX)
            ):
                return None
            log.info("following channel %s, placed before this process started", channel_id)
            call = self._calls[channel_id] = _Call(channel_id)
        return call

    def _on_stasis_start(self, channel_id: str, args: list[str]) -> None:
        line = self._agent_channels.get(channel_id)
        if line is not None:
            line.is_up = True
            if not line.answered.done():
                line.answered.set_result(None)
            return
        kind = str(args[0]) if args else ""
        if kind not in (ARG_DIAL, ARG_AMD):
            log.warning("channel %s entered the application with %r: not ours", channel_id, args)
            return
        call = self._call_for_event(channel_id)
        if call is not None:
            call.is_answered = True
            self._entered_application(call, [str(arg) for arg in args])

    def _entered_application(self, call: _Call, args: list[str]) -> None:
        kind = args[0] if args else ""
        if kind == ARG_AMD:
            status = args[1].upper() if len(args) > 1 else ""
            if status == AMD_HANGUP:
                return  # the customer hung up during detection; ChannelDestroyed follows
            self._report_answer(call, AMD_VERDICTS.get(status, AnsweredBy.UNSURE))
        elif kind != ARG_DIAL:
            log.warning("channel %s entered the application with %r: not ours", call.call_id, args)
        elif self.config.amd_context is None:
            self._report_answer(call, AnsweredBy.UNSURE)
        elif not call.is_sent_to_amd:
            call.is_sent_to_amd = True
            self._spawn(self._send_to_amd(call.call_id))

    def _on_state_change(self, channel_id: str, state: str) -> None:
        call = self._call_for_event(channel_id)
        if call is None:
            return
        if state == "Ringing":
            self._progress(call)
        elif state == "Up":
            call.is_answered = True

    def _on_destroyed(self, channel_id: str, cause: int, event: dict[str, Any]) -> None:
        line = self._agent_channels.get(channel_id)
        if line is not None:
            self._line_ended(line, f"cause {cause} {event.get('cause_txt', '')}".strip())
            return
        call_id = self._far_legs.pop(channel_id, None)
        if call_id is not None:
            far_call = self._calls.get(call_id)
            if far_call is not None:
                far_call.far_cause = cause
                if far_call.is_end_pending:
                    self._finish(far_call, cause)
            return
        call = self._call_for_event(channel_id)
        if call is None:
            return
        if cause == 0 and call.far_leg_id is not None and not call.is_answered:
            # A Local channel's own leg ends with "Unknown"; the far leg knows why.
            if call.far_cause is not None:
                self._finish(call, call.far_cause)
            else:
                call.is_end_pending = True
                call.end_timer = asyncio.get_running_loop().call_later(
                    self.config.far_leg_grace_s, self._finish, call, 0
                )
            return
        self._finish(call, cause)

    def _on_left_bridge(self, channel_id: str, bridge_id: str) -> None:
        call = self._calls.get(channel_id)
        if call is None or call.bridge_id != bridge_id:
            return
        call.bridge_id = None
        if call.recording is not None:
            # The agent's bridge outlives the call: its recording must not.
            self._spawn(self._stop_live_recording(call.recording))
            call.recording = None

    def _progress(self, call: _Call) -> None:
        if not call.is_progress_reported and not call.is_answered:
            call.is_progress_reported = True
            self._queue.put_nowait(CallProgress(call.call_id, self._now()))

    def _report_answer(self, call: _Call, answered_by: AnsweredBy) -> None:
        if not call.is_answer_reported:
            call.is_answer_reported = True
            self._queue.put_nowait(CallAnswered(call.call_id, self._now(), answered_by))

    def _finish(self, call: _Call, code: int | None) -> None:
        """The call is over: report it once, with the cause Asterisk gave (None: unknown)."""
        if self._calls.get(call.call_id) is not call:
            return
        del self._calls[call.call_id]
        self._ended.add(call.call_id)
        if call.far_leg_id is not None:
            self._far_legs.pop(call.far_leg_id, None)
        if call.end_timer is not None:
            call.end_timer.cancel()
        if call.recording is not None:
            self._spawn(self._stop_live_recording(call.recording))
        for playback_id in call.playbacks:
            future = self._playbacks.get(playback_id)
            if future is not None and not future.done():
                future.set_result("call ended")
        if code is None:
            cause = EndCause.NORMAL if call.is_answered else EndCause.FAILED
        else:
            cause = cause_from_q850(code, was_answered=call.is_answered)
        self._queue.put_nowait(CallEnded(call.call_id, self._now(), cause, code))

    def _line_ended(self, line: _AgentLine, because: str) -> None:
        log.warning("agent %s's phone line %s ended: %s", line.agent_id, line.endpoint, because)
        line.is_up = False
        line.ended_because = because
        self._agent_channels.pop(line.channel_id, None)
        if not line.answered.done():
            line.answered.set_exception(GatewayError(because))

    # --- background requests that events call for -------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_to_amd(self, call_id: str) -> None:
        assert self.config.amd_context is not None
        try:
            await self._client.request(
                "POST",
                f"channels/{segment(call_id)}/continue",
                params={
                    "context": self.config.amd_context,
                    "extension": self.config.amd_extension,
                    "priority": "1",
                },
                expect=(204,),
            )
        except AriError as error:
            if error.status in (404, 409):
                log.info("call %s left before answering-machine detection: %s", call_id, error)
                return
            log.error("call %s could not be sent to AMD (%s); hanging up", call_id, error)
            await self._hang_up_quietly(call_id)
        except GatewayError as error:
            log.error("call %s could not be sent to AMD (%s); hanging up", call_id, error)
            await self._hang_up_quietly(call_id)

    async def _hang_up_quietly(self, channel_id: str) -> None:
        try:
            await self._hang_up_channel(channel_id, "normal")
        except GatewayError as error:
            log.error("channel %s could not be hung up: %s", channel_id, error)

    async def _stop_live_recording(self, name: str) -> None:
        try:
            await self._client.request(
                "POST", f"recordings/live/{segment(name)}/stop", expect=(204,)
            )
        except AriError as error:
            if error.status != 404:  # 404: it finished already
                log.error("recording %s could not be stopped: %s", name, error)
        except GatewayError as error:
            log.error("recording %s could not be stopped: %s", name, error)

    # --- commands ---------------------------------------------------------------------------

    async def originate(self, request: Originate) -> None:
        call_id = request.call_id
        if not call_id or call_id.startswith(AGENT_PREFIX) or call_id.endswith(FAR_LEG_SUFFIX):
            raise GatewayError(
                f"call id {call_id!r} is not usable: it must be non-empty, not start with "
                f"{AGENT_PREFIX!r} and not end with {FAR_LEG_SUFFIX!r}"
            )
        if call_id in self._placed or call_id in self._calls or call_id in self._ended:
            raise CallExists(f"call {call_id} was placed already")
        await self._require_stream()
        endpoint = self.config.endpoint_for(request.number)
        params = {
            "endpoint": endpoint,
            "app": self.config.app,
            "appArgs": ARG_DIAL,
            "callerId": request.caller_id,
            "timeout": str(max(1, math.ceil(request.ring_timeout_s))),
            "channelId": call_id,
        }
        # Registered before the request: the first events may arrive before its answer.
        call = self._calls[call_id] = _Call(call_id)
        if self.config.uses_local_channels:
            call.far_leg_id = params["otherChannelId"] = call_id + FAR_LEG_SUFFIX
            self._far_legs[call.far_leg_id] = call_id
        body = {"variables": dict(request.variables)} if request.variables else None
        try:
            await self._client.request("POST", "channels", params=params, body=body, expect=(200,))
        except AriError as error:
            if error.status == 409:
                self._placed.add(call_id)
                raise CallExists(f"call {call_id} was placed already") from None
            self._forget(call)
            raise GatewayError(
                f"Asterisk refused to dial {request.number} through {endpoint}: "
                f"{error.status} {error.message}"
            ) from None
        except GatewayError:
            # Unknown whether Asterisk placed it: a retry answers 409 if it did, and the
            # channel's events are followed either way.
            self._forget(call)
            raise
        self._placed.add(call_id)

    def _forget(self, call: _Call) -> None:
        if self._calls.get(call.call_id) is call and not call.is_answered:
            del self._calls[call.call_id]
            if call.far_leg_id is not None:
                self._far_legs.pop(call.far_leg_id, None)

    def _stream_down_message(self) -> str:
        if self.is_replaced:
            return (
                f"another process holds ARI application {self.config.app!r}: this one no longer "
                "receives events and places no calls"
            )
        return (
            f"the events stream of ARI application {self.config.app!r} is down "
            f"({self._last_stream_error}); not placing calls it could not follow"
        )

    async def attach_agent(self, agent_id: int, endpoint: str) -> None:
        line = self._agents.get(agent_id)
        if line is not None and line.is_up and line.endpoint == endpoint:
            return
        await self._require_stream()
        if line is not None:
            await self.detach_agent(agent_id)
        bridge_id = agent_bridge_id(agent_id)
        existing = await self._ensure_bridge(bridge_id)
        if await self._adopt_line(agent_id, endpoint, bridge_id, existing):
            return
        channel_id = f"{bridge_id}-{uuid.uuid4().hex[:12]}"
        line = _AgentLine(
            agent_id, endpoint, channel_id, bridge_id, asyncio.get_running_loop().create_future()
        )
        self._agents[agent_id] = line
        self._agent_channels[channel_id] = line
        wait_s = self.config.agent_answer_timeout_s
        try:
            await self._client.request(
                "POST",
                "channels",
                params={
                    "endpoint": endpoint,
                    "app": self.config.app,
                    "appArgs": f"{ARG_AGENT},{agent_id}",
                    "callerId": self.config.agent_caller_id,
                    "timeout": str(math.ceil(wait_s)),
                    "channelId": channel_id,
                },
                expect=(200,),
            )
            async with asyncio.timeout(wait_s + self.config.request_timeout_s):
                await line.answered
            await self._client.request(
                "POST",
                f"bridges/{segment(bridge_id)}/addChannel",
                params={"channel": channel_id},
                expect=(204,),
            )
        except TimeoutError:
            await self._drop_line(line)
            raise GatewayError(
                f"agent {agent_id}'s phone {endpoint} did not answer within {wait_s:g} s"
            ) from None
        except GatewayError as error:
            await self._drop_line(line)
            raise GatewayError(
                f"agent {agent_id}'s phone {endpoint} could not be connected: {error}"
            ) from None

    async def _ensure_bridge(self, bridge_id: str) -> list[str]:
        """Create the agent's bridge; if it exists (from before a restart), the channels in it."""
        try:
            await self._client.request(
                "POST",
                "bridges",
                params={"type": "mixing", "bridgeId": bridge_id, "name": bridge_id},
                expect=(200,),
            )
            return []
        except AriError as error:
            if error.status != 409:
                raise
        bridge = await self._client.request("GET", f"bridges/{segment(bridge_id)}")
        return [str(channel) for channel in bridge.get("channels", [])]

    async def _adopt_line(
        self, agent_id: int, endpoint: str, bridge_id: str, channel_ids: list[str]
    ) -> bool:
        """After a restart the agent's phone may still be up in their bridge: keep using it
        rather than ring them again; hang up lines to another phone."""
        adopted = False
        for channel_id in channel_ids:
            if not channel_id.startswith(bridge_id + "-"):
                continue
            try:
                channel = await self._client.request("GET", f"channels/{segment(channel_id)}")
            except AriError as error:
                if error.status == 404:
                    continue
                raise
            if not adopted and str(channel.get("name", "")).startswith(endpoint + "-"):
                future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                future.set_result(None)
                line = _AgentLine(agent_id, endpoint, channel_id, bridge_id, future, is_up=True)
                self._agents[agent_id] = line
                self._agent_channels[channel_id] = line
                adopted = True
            else:
                await self._hang_up_channel(channel_id, "normal")
        return adopted

    async def _drop_line(self, line: _AgentLine) -> None:
        self._agents.pop(line.agent_id, None)
        self._agent_channels.pop(line.channel_id, None)
        if not line.answered.done():
            line.answered.cancel()
        await self._hang_up_quietly(line.channel_id)

    async def detach_agent(self, agent_id: int) -> None:
        self._ensure_stream()
        line = self._agents.pop(agent_id, None)
        if line is not None:
            self._agent_channels.pop(line.channel_id, None)
            if not line.answered.done():
                line.answered.cancel()
            await self._hang_up_channel(line.channel_id, "normal")
        try:
            await self._client.request(
                "DELETE", f"bridges/{segment(agent_bridge_id(agent_id))}", expect=(204,)
            )
        except AriError as error:
            if error.status != 404:
                raise

    async def connect(self, call_id: str, agent_id: int) -> None:
        self._ensure_stream()
        line = self._agents.get(agent_id)
        if line is None:
            raise GatewayError(
                f"agent {agent_id} has no phone line: call attach_agent at the start of their "
                "session"
            )
        if not line.is_up:
            raise GatewayError(
                f"agent {agent_id}'s phone line is down ({line.ended_because}): attach it again"
            )
        try:
            await self._client.request(
                "POST",
                f"bridges/{segment(line.bridge_id)}/addChannel",
                params={"channel": call_id},
                expect=(204,),
            )
        except AriError as error:
            raise GatewayError(self._connect_refused(call_id, agent_id, error)) from None
        call = self._call_for_event(call_id)
        if call is None:
            return
        call.bridge_id = line.bridge_id
        if call.pending_recording is not None:
            await self._record_bridge(call, call.pending_recording)

    def _connect_refused(self, call_id: str, agent_id: int, error: AriError) -> str:
        prefix = f"call {call_id} cannot be put through to agent {agent_id}"
        if error.status == 422:
            return (
                f"{prefix}: it is not in the {self.config.app!r} application (not answered yet, "
                "still in answering-machine detection, or hung up)"
            )
        if error.status == 400:
            return f"{prefix}: Asterisk has no such call (it ended)"
        if error.status == 404:
            return f"{prefix}: the agent's bridge is gone; attach the agent again"
        return f"{prefix}: {error.status} {error.message}"

    async def hold(self, call_id: str) -> None:
        """Take the customer out of the agent's bridge (the agent's line stays in it) and play
        them music; the bridge's recording goes on (the agent's side)."""
        self._ensure_stream()
        call = self._calls.get(call_id)
        if call is None or call.bridge_id is None:
            raise GatewayError(f"call {call_id} is not put through to an agent: nothing to hold")
        bridge_id = call.bridge_id
        call.bridge_id, call.held_from = None, bridge_id  # leaving the bridge keeps the recording
        try:
            await self._bridge_request(call_id, bridge_id, "removeChannel")
            await self._moh(call_id, "POST")
        except GatewayError:
            call.bridge_id, call.held_from = bridge_id, None
            raise

    async def unhold(self, call_id: str) -> None:
        self._ensure_stream()
        call = self._calls.get(call_id)
        if call is None or call.held_from is None:
            raise GatewayError(f"call {call_id} is not on hold")
        await self._moh(call_id, "DELETE")
        await self._bridge_request(call_id, call.held_from, "addChannel")
        call.bridge_id, call.held_from = call.held_from, None

    async def transfer(self, call_id: str, agent_id: int) -> None:
        """Move the customer to the other agent's bridge; a recording of the call goes on
        there under the same name with the new agent's id after it."""
        self._ensure_stream()
        call = self._calls.get(call_id)
        if call is None or (call.bridge_id is None and call.held_from is None):
            raise GatewayError(f"call {call_id} is not put through to an agent: cannot transfer")
        line = self._agents.get(agent_id)
        if line is None or not line.is_up:
            raise GatewayError(f"agent {agent_id} has no phone line up to transfer {call_id} to")
        recording, call.recording = call.recording, None
        if recording is not None:  # the first agent's bridge outlives the call
            await self._stop_live_recording(recording)
        if call.held_from is not None:
            await self._moh(call_id, "DELETE")
            call.held_from = None
        elif call.bridge_id != line.bridge_id:
            await self._bridge_request(call_id, call.bridge_id or "", "removeChannel")
        await self._bridge_request(call_id, line.bridge_id, "addChannel")
        call.bridge_id = line.bridge_id
        if recording is not None:
            await self._record_bridge(call, f"{recording}-{agent_id}")

    async def consult(self, agent_id: int, colleague_id: int) -> None:
        """Move the agent's line out of their bridge into the colleague's (a channel is in one
        bridge at a time), where the two talk; the customer was taken out and held before."""
        self._ensure_stream()
        line, colleague = self._agents.get(agent_id), self._agents.get(colleague_id)
        for someone, its_line in ((agent_id, line), (colleague_id, colleague)):
            if its_line is None or not its_line.is_up:
                raise GatewayError(f"agent {someone} has no phone line up for a consultation")
        assert line is not None and colleague is not None
        if line.visiting is not None:
            raise GatewayError(f"agent {agent_id}'s line is in {line.visiting} already")
        await self._bridge_request(line.channel_id, line.bridge_id, "removeChannel")
        try:
            await self._bridge_request(line.channel_id, colleague.bridge_id, "addChannel")
        except GatewayError:
            await self._bridge_request(line.channel_id, line.bridge_id, "addChannel")
            raise
        line.visiting = colleague.bridge_id

    async def end_consultation(self, agent_id: int) -> None:
        """Bring the agent's line back to their own bridge (the colleague's may be gone)."""
        self._ensure_stream()
        line = self._agents.get(agent_id)
        if line is None or not line.is_up or line.visiting is None:
            return
        visiting, line.visiting = line.visiting, None
        try:
            await self._bridge_request(line.channel_id, visiting, "removeChannel")
        except GatewayError as error:
            # Not there any more (the colleague's bridge went with their session): go home.
            log.info("agent %s's line was no longer in %s: %s", agent_id, visiting, error)
        await self._bridge_request(line.channel_id, line.bridge_id, "addChannel")

    async def _bridge_request(self, call_id: str, bridge_id: str, operation: str) -> None:
        try:
            await self._client.request(
                "POST",
                f"bridges/{segment(bridge_id)}/{operation}",
                params={"channel": call_id},
                expect=(204,),
            )
        except AriError as error:
            reason = {
                400: "Asterisk has no such call (it ended)",
                404: "the agent's bridge is gone",
                409: f"the bridge is not in the {self.config.app!r} application",
                422: "the call is not where it should be (not in the application or the bridge)",
            }.get(error.status, f"{error.status} {error.message}")
            raise GatewayError(f"{operation} of call {call_id} in {bridge_id}: {reason}") from None

    async def _moh(self, call_id: str, method: str) -> None:
        try:
            await self._client.request(
                method,
                f"channels/{segment(call_id)}/moh",
                expect=(204,),
            )
        except AriError as error:
            reason = {
                404: "the call is gone",
                409: f"the call is not in the {self.config.app!r} application",
                412: "the call is not in a state for music on hold",
            }.get(error.status, f"{error.status} {error.message}")
            raise GatewayError(f"music on hold for call {call_id}: {reason}") from None

    async def hang_up(self, call_id: str, cause: EndCause = EndCause.NORMAL) -> None:
        self._ensure_stream()
        await self._hang_up_channel(call_id, HANGUP_REASONS[cause])

    async def _hang_up_channel(self, channel_id: str, reason: str) -> None:
        try:
            await self._client.request(
                "DELETE",
                f"channels/{segment(channel_id)}",
                params={"reason": reason},
                expect=(204,),
            )
        except AriError as error:
            if error.status != 404:  # gone already: not an error
                raise

    async def play(self, call_id: str, message: str) -> None:
        """Play a message to the call and return when it has played to the end (or the call
        ended); `message` is a sound name or a media URI (sound:, recording:, ...)."""
        media = message if message.startswith(MEDIA_SCHEMES) else f"sound:{message}"
        playback_id = f"{call_id}-play-{uuid.uuid4().hex[:12]}"
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._playbacks[playback_id] = future
        call = self._calls.get(call_id)
        if call is not None:
            call.playbacks.add(playback_id)
        try:
            await self._client.request(
                "POST",
                f"channels/{segment(call_id)}/play",
                params={"media": media, "playbackId": playback_id},
                expect=(200, 201),
            )
            async with asyncio.timeout(self.config.playback_timeout_s):
                state = await future
        except AriError as error:
            reason = {
                404: "the call is gone",
                409: f"the call is not in the {self.config.app!r} application",
                412: "the call is not in a state to play to",
            }.get(error.status, f"{error.status} {error.message}")
            raise GatewayError(f"cannot play {media} to call {call_id}: {reason}") from None
        except TimeoutError:
            raise GatewayError(
                f"{media} to call {call_id} did not finish within "
                f"{self.config.playback_timeout_s:g} s"
            ) from None
        finally:
            self._playbacks.pop(playback_id, None)
            if call is not None:
                call.playbacks.discard(playback_id)
        if state == "failed":
            raise GatewayError(
                f"Asterisk could not play {media} to call {call_id}: is that file installed?"
            )

    async def start_recording(self, call_id: str, name: str) -> None:
        """Record the agent's bridge while the customer is in it. Before `connect` the request
        waits and starts when the customer is put through (a channel being recorded could not
        join a bridge)."""
        if not RECORDING_NAME.fullmatch(name):
            raise GatewayError(
                f"recording name {name!r} is not usable: letters, digits, '.', '_' and '-' only, "
                "starting with a letter or digit"
            )
        call = self._calls.get(call_id)
        if call is None:
            raise GatewayError(f"call {call_id} is not live: nothing to record")
        if call.recording is not None:
            raise GatewayError(f"call {call_id} is being recorded already as {call.recording}")
        if call.bridge_id is None:
            call.pending_recording = name
            return
        await self._record_bridge(call, name)

    async def _record_bridge(self, call: _Call, name: str) -> None:
        assert call.bridge_id is not None
        call.pending_recording = None
        try:
            await self._client.request(
                "POST",
                f"bridges/{segment(call.bridge_id)}/record",
                params={"name": name, "format": self.config.recording_format, "ifExists": "fail"},
                expect=(200, 201),
            )
        except AriError as error:
            raise GatewayError(
                f"recording {name} of call {call.call_id} could not start: "
                f"{error.status} {error.message}"
            ) from None
        call.recording = name

    async def stop_recording(self, call_id: str) -> None:
        call = self._calls.get(call_id)
        if call is None:
            return
        call.pending_recording = None
        name, call.recording = call.recording, None
        if name is not None:
            try:
                await self._client.request(
                    "POST", f"recordings/live/{segment(name)}/stop", expect=(204,)
                )
            except AriError as error:
                if error.status != 404:  # finished already
                    raise

    async def live_calls(self) -> set[str]:
        """The customer calls Asterisk holds now (agents' lines left out)."""
        self._ensure_stream()
        channels = await self._client.request("GET", "channels")
        ids = {str(channel["id"]) for channel in channels}
        return {
            channel_id
            for channel_id in ids
            if channel_id not in self._agent_channels
            and channel_id not in self._far_legs
            and not channel_id.startswith(AGENT_PREFIX)
            and not channel_id.endswith(FAR_LEG_SUFFIX)
        }

    def events(self) -> AsyncIterator[GatewayEvent]:
        """The events, in Asterisk's order. Waiting for the next one may be cancelled (say by a
        timeout) without losing the stream; after ApplicationReplaced it raises GatewayError."""
        return _EventStream(self)

    async def close(self) -> None:
        self._is_closing = True
        await self._stop_stream()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for future in self._playbacks.values():
            if not future.done():
                future.cancel()
        for line in self._agents.values():
            if not line.answered.done():
                line.answered.cancel()
        await self._client.close()


class _EventStream:
    """An iterator over the adapter's queue (not an async generator, whose cancellation while
    waiting would close it for good)."""

    def __init__(self, gateway: AsteriskGateway) -> None:
        self._gateway = gateway

    def __aiter__(self) -> _EventStream:
        return self

    async def __anext__(self) -> GatewayEvent:
        self._gateway._ensure_stream()
        item = await self._gateway._queue.get()
        if isinstance(item, _StreamTakenOver):
            self._gateway._queue.put_nowait(item)  # every reader learns it
            raise GatewayError(self._gateway._stream_down_message())
        return item


def _describe_stream_error(error: BaseException) -> str:
    if isinstance(error, websockets.exceptions.InvalidStatus):
        status = error.response.status_code
        if status == 401:
            return "Asterisk refused the ARI user (401): check ASTERISK_ARI_USER and password"
        return f"Asterisk refused the events stream with HTTP {status}"
    if isinstance(error, websockets.exceptions.ConnectionClosed):
        return f"the connection closed ({error})"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
