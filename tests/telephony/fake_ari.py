"""A fake Asterisk for the tests: ARI's REST resources and events WebSocket, driven by dialcrm's
own description of the part of ARI it uses (ari_subset.json, next to this file).

Strict where Asterisk is, stricter where a mistake of ours would otherwise pass silently:

- The description is loaded at start-up. A path it does not list answers 404, a method it does
  not list for that path 405, a parameter it does not list for the operation 400 naming it
  (Asterisk itself ignores unknown parameters, so a misspelt one would silently do nothing), a
  missing required parameter, a value outside its allowed values or of the wrong type 400.
  test_ari_subset.py holds the description against Asterisk's published ARI contract.
- Every answer and every event is checked against the description's models before it leaves,
  and an error status must be one the operation lists.
- The calls behave as a real Asterisk was seen to (reference/asterisk.md): originate answers 200
  with the channel Down and no ChannelCreated; Dial '' / RINGING / ANSWER; StasisStart only after
  answer; no final Dial at the originate timeout (ChannelDestroyed 19); a hang-up by DELETE sends
  ChannelHangupRequest (soft, 32), ChannelLeftBridge, StasisEnd, ChannelDestroyed; 409 for a live
  channel id or bridge id; 400 "Channel not found" and 422 "Channel not in Stasis application" from
  addChannel, 400 "Channel not found" and 422 "Channel not in this bridge" from removeChannel
  (with ChannelLeftBridge); music on hold only to an answered channel in an application (404,
  409, 412 otherwise); 404 for a second DELETE; 401 for a wrong password; a second WebSocket for an
  application takes it over and the first receives ApplicationReplaced, stays open and gets
  nothing more; a call answered while no WebSocket holds its application disappears; Local
  channels have two legs, and on busy or congestion the originated leg ends with cause 0.

Tests script the far ends: `fake.script("+40723000001", Behaviour.busy())`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import re
import socket
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import uvicorn

SUBSET_FILE = Path(__file__).with_name("ari_subset.json")
ASTERISK_ID = "02:42:ac:11:00:02"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.%f%z"

# Q.850 causes and the text Asterisk gives them.
CAUSE_TEXT = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    20: "Subscriber absent",
    21: "Call Rejected",
    26: "Answered elsewhere",
    28: "Invalid number format (addr incomplete)",
    31: "Normal, unspecified",
    32: "Circuit/channel congestion",  # also used internally as the soft-hangup flag
    34: "Circuit/channel congestion",
    38: "Network out of order",
    58: "Bearer capability not available",
    102: "Recovery on timer expiry",
    127: "Interworking, unspecified",
}
# DELETE /channels/{id}?reason= -> cause.
HANGUP_REASONS = {
    "normal": 16,
    "busy": 17,
    "congestion": 34,
    "no_answer": 19,
    "timeout": 18,
    "rejected": 21,
    "unallocated": 1,
    "normal_unspecified": 31,
    "number_incomplete": 28,
    "codec_mismatch": 58,
    "interworking": 127,
    "failure": 38,
    "answered_elsewhere": 26,
}
# The dial status a failed attempt reports (the adapter must not rely on it).
DIAL_STATUS = {17: "BUSY", 34: "CONGESTION", 38: "CONGESTION", 42: "CONGESTION"}
TECHNOLOGIES = {"PJSIP", "SIP", "IAX2", "Local", "DAHDI"}
BRIDGE_TYPES = {"mixing", "holding", "dtmf_events", "proxy_media", "video_sfu", "video_single"}
RECORDING_FORMATS = {"wav", "gsm", "ulaw", "alaw", "g722", "sln", "wav49"}
MEDIA_SCHEMES = ("sound:", "recording:", "number:", "digits:", "characters:", "tone:")


class Refused(Exception):
    """An error answer: the status and Asterisk's {"message": ...}."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message


class SubsetViolation(AssertionError):
    """The fake itself was about to say something dialcrm's ARI subset does not allow."""


# --- dialcrm's ARI subset ----------------------------------------------------------------------

# The types a parameter may have; fields and answers have those of _PRIMITIVES, or a model.
PARAMETER_TYPES = frozenset({"string", "int", "long", "boolean", "containers"})


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query, body
    is_required: bool
    is_multiple: bool
    data_type: str
    allowed: tuple[str, ...] | None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as the subset writes it, without /ari
    pattern: re.Pattern[str]
    literal_segments: int
    parameters: dict[str, Parameter]
    errors: dict[int, str]
    answer: str
    is_websocket: bool

    def describe(self) -> str:
        return f"{self.method} /ari{self.path}"


@dataclass(frozen=True)
class Field:
    data_type: str
    is_required: bool
    allowed: tuple[str, ...] | None


@dataclass(frozen=True)
class Model:
    parent: str | None
    fields: dict[str, Field]  # its own, not its parent's


class AriSubset:
    """The ARI that dialcrm uses, as ari_subset.json describes it: operations by path and method,
    and the models of answers and events."""

    def __init__(self, file: Path = SUBSET_FILE) -> None:
        document = json.loads(file.read_text())
        self.file_name = file.name
        self.operations = [_operation(key, spec) for key, spec in document["operations"].items()]
        self.models = {name: _model(spec) for name, spec in document["models"].items()}
        self._check_names()

    def _check_names(self) -> None:
        """Every type the file names is ARI's or a model it describes, so a slip in the file
        fails here rather than as a puzzling refusal in some test."""
        unknown = [
            f"{operation.method} {operation.path}: answer {operation.answer!r}"
            for operation in self.operations
            if not self._is_known(operation.answer)
        ]
        unknown += [
            f"{operation.method} {operation.path}: parameter {parameter.name} {parameter.data_type!r}"
            for operation in self.operations
            for parameter in operation.parameters.values()
            if parameter.data_type not in PARAMETER_TYPES
        ]
        for name, model in self.models.items():
            if model.parent is not None and model.parent not in self.models:
                unknown.append(f"{name}: extends {model.parent!r}")
            unknown += [
                f"{name}.{field_name}: {item.data_type!r}"
                for field_name, item in model.fields.items()
                if not self._is_known(item.data_type)
            ]
        if unknown:
            raise ValueError(
                f"{self.file_name} names types that are neither ARI's nor models it describes: "
                + "; ".join(unknown)
            )

    def _is_known(self, type_name: str) -> bool:
        if type_name.startswith("List[") and type_name.endswith("]"):
            return self._is_known(type_name[5:-1])
        return type_name == "void" or type_name in _PRIMITIVES or type_name in self.models

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """The operation for a request path (under /ari) and method, with its path values."""
        matches = []
        for operation in self.operations:
            found = operation.pattern.fullmatch(path)
            if found is not None:
                matches.append((operation, found.groupdict()))
        if not matches:
            raise Refused(
                404,
                f"Resource not found: /ari{path} is not in dialcrm's ARI subset ({self.file_name})",
            )
        allowed = [item for item in matches if item[0].method == method]
        if not allowed:
            methods = sorted({item[0].method for item in matches})
            raise Refused(
                405, f"Invalid method: {method} /ari{path} ({self.file_name} allows {methods})"
            )
        return max(allowed, key=lambda item: item[0].literal_segments)

    def parse(
        self,
        operation: Operation,
        path_values: dict[str, str],
        query: list[tuple[str, str]],
        body: Any,
    ) -> dict[str, Any]:
        """Check a request's parameters against the operation; their parsed values."""
        raw: dict[str, str] = {}
        body_values: dict[str, Any] = {}
        for name, value in query:
            if name == "api_key":
                continue
            if name in raw:
                raise Refused(400, f"parameter {name!r} is given twice")
            raw[name] = value
        if body is not None:
            if not isinstance(body, dict):
                raise Refused(400, "the request body must be a JSON object")
            # ARI reads the body's other keys as query parameters.
            for name, value in body.items():
                parameter = operation.parameters.get(name)
                if parameter is not None and parameter.location == "body":
                    body_values[name] = value
                elif name in raw:
                    raise Refused(400, f"parameter {name!r} is given twice")
                else:
                    raw[name] = _text(value)
        for name in raw:
            parameter = operation.parameters.get(name)
            if parameter is None or parameter.location != "query":
                listed = sorted(
                    p.name for p in operation.parameters.values() if p.location != "path"
                )
                raise Refused(
                    400,
                    f"{operation.describe()} has no parameter {name!r} ({self.file_name} lists "
                    f"{listed})",
                )
        values: dict[str, Any] = {}
        for parameter in operation.parameters.values():
            if parameter.location == "path":
                values[parameter.name] = path_values[parameter.name]
            elif parameter.location == "body":
                if parameter.name in body_values:
                    values[parameter.name] = _check_body(parameter, body_values[parameter.name])
                elif parameter.is_required:
                    raise Refused(400, f"missing required body field {parameter.name!r}")
            elif parameter.name in raw:
                values[parameter.name] = _convert(parameter, raw[parameter.name])
            elif parameter.is_required:
                raise Refused(400, f"missing required parameter {parameter.name!r}")
        return values

    def check(self, type_name: str, value: Any, where: str) -> None:
        """Raise SubsetViolation unless `value` is a valid `type_name` of the subset."""
        if type_name == "void":
            return
        if type_name.startswith("List[") and type_name.endswith("]"):
            if not isinstance(value, list):
                raise SubsetViolation(f"{where}: expected a list, got {value!r}")
            for index, item in enumerate(value):
                self.check(type_name[5:-1], item, f"{where}[{index}]")
            return
        primitive = _PRIMITIVES.get(type_name)
        if primitive is not None:
            if not primitive(value):
                raise SubsetViolation(f"{where}: {value!r} is not a {type_name}")
            return
        if type_name not in self.models:
            raise SubsetViolation(f"{where}: {self.file_name} has no model {type_name!r}")
        if not isinstance(value, dict):
            raise SubsetViolation(f"{where}: a {type_name} must be an object, got {value!r}")
        fields = self.fields(type_name)
        missing = [name for name, item in fields.items() if item.is_required and name not in value]
        if missing:
            raise SubsetViolation(f"{where}: {type_name} lacks required {missing[0]!r}")
        for name, item in value.items():
            spec = fields.get(name)
            if spec is None:
                raise SubsetViolation(f"{where}: {type_name} has no field {name!r}")
            if item is None and not spec.is_required:
                continue
            self.check(spec.data_type, item, f"{where}.{name}")
            if spec.allowed is not None and item not in spec.allowed:
                raise SubsetViolation(
                    f"{where}.{name}: {item!r} is not one of {list(spec.allowed)}"
                )

    def fields(self, type_name: str) -> dict[str, Field]:
        """A model's fields with those of the models it extends."""
        chain = [type_name]
        while (parent := self.models[chain[-1]].parent) is not None:
            chain.append(parent)
        merged: dict[str, Field] = {}
        for name in reversed(chain):
            merged.update(self.models[name].fields)
        return merged

    def is_event(self, type_name: str) -> bool:
        model = self.models.get(type_name)
        while model is not None and model.parent is not None:
            if model.parent == "Event":
                return True
            model = self.models[model.parent]
        return False


def _operation(key: str, spec: dict[str, Any]) -> Operation:
    method, _, path = key.partition(" ")
    segments = path.strip("/").split("/")
    # Path values are required strings; the subset does not list them again.
    parameters = {
        segment[1:-1]: Parameter(segment[1:-1], "path", True, False, "string", None)
        for segment in segments
        if segment.startswith("{")
    }
    for name, item in spec["parameters"].items():
        allowed = item.get("allowed")
        parameters[name] = Parameter(
            name=name,
            location=item.get("in", "query"),
            is_required=item["required"],
            is_multiple=item.get("multiple", False),
            data_type=item["type"],
            allowed=tuple(allowed) if allowed else None,
        )
    regex = "/".join(
        f"(?P<{segment[1:-1]}>[^/]+)" if segment.startswith("{") else re.escape(segment)
        for segment in segments
    )
    return Operation(
        method=method,
        path=path,
        pattern=re.compile(f"/{regex}"),
        literal_segments=sum(not segment.startswith("{") for segment in segments),
        parameters=parameters,
        errors={int(status): meaning for status, meaning in spec["errors"].items()},
        answer=spec["answer"],
        is_websocket=spec.get("websocket", False),
    )


def _model(spec: dict[str, Any]) -> Model:
    allowed = spec.get("allowed", {})
    return Model(
        parent=spec.get("extends"),
        fields={
            name: Field(
                data_type=written.removesuffix("?"),
                is_required=not written.endswith("?"),
                allowed=tuple(allowed[name]) if name in allowed else None,
            )
            for name, written in spec["fields"].items()
        },
    )


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.strptime(value, DATE_FORMAT)
    except ValueError:
        return False
    return True


_PRIMITIVES: dict[str, Callable[[Any], bool]] = {
    "string": lambda value: isinstance(value, str),
    "int": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "long": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "Date": _is_date,
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    return str(value)


def _convert(parameter: Parameter, raw: str) -> Any:
    items = raw.split(",") if parameter.is_multiple else [raw]
    values: list[Any] = []
    for item in items:
        if parameter.allowed is not None and item not in parameter.allowed:
            raise Refused(
                400,
                f"parameter {parameter.name!r}: {item!r} is not one of {list(parameter.allowed)}",
            )
        if parameter.data_type in ("int", "long"):
            if not re.fullmatch(r"-?\d+", item):
                raise Refused(400, f"parameter {parameter.name!r} must be a whole number")
            values.append(int(item))
        elif parameter.data_type == "boolean":
            if item not in ("true", "false"):
                raise Refused(400, f"parameter {parameter.name!r} must be true or false")
            values.append(item == "true")
        else:
            values.append(item)
    return values if parameter.is_multiple else values[0]


def _check_body(parameter: Parameter, value: Any) -> Any:
    if parameter.data_type == "containers":
        if not isinstance(value, dict):
            raise Refused(400, f"body field {parameter.name!r} must be an object")
        for key, item in value.items():
            plain = isinstance(item, str)
            detailed = isinstance(item, dict) and isinstance(item.get("value"), str)
            if not (plain or detailed):
                raise Refused(400, f"{parameter.name}.{key} must be a text or {{value: text}}")
    return value


# --- what the far ends do --------------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    """How the far end of one number (or an agent's phone) behaves; times in seconds."""

    ring_after_s: float = 0.02  # until it rings, or fails without ringing
    answer_after_s: float | None = 0.05  # ringing before answer; None: never answers
    cause: int | None = None  # ends unanswered with this Q.850 cause
    rings_before_failing_s: float | None = None  # with `cause`: rings this long first
    amd_status: str = "HUMAN"
    amd_cause: str = "HUMAN-300-400"
    amd_s: float = 0.05  # how long AMD listens
    hang_up_after_s: float | None = None  # after answer, the far end hangs up

    @classmethod
    def human(cls, answer_after_s: float = 0.05, hang_up_after_s: float | None = None) -> Behaviour:
        return cls(answer_after_s=answer_after_s, hang_up_after_s=hang_up_after_s)

    @classmethod
    def machine(cls, answer_after_s: float = 0.05) -> Behaviour:
        return cls(
            answer_after_s=answer_after_s, amd_status="MACHINE", amd_cause="LONGGREETING-1600-1500"
        )

    @classmethod
    def unsure(cls) -> Behaviour:
        return cls(amd_status="NOTSURE", amd_cause="TOOLONG-5000")

    @classmethod
    def no_answer(cls) -> Behaviour:
        """Rings until the originate timeout."""
        return cls(answer_after_s=None)

    @classmethod
    def fails(cls, cause: int, rings_s: float | None = None) -> Behaviour:
        return cls(answer_after_s=None, cause=cause, rings_before_failing_s=rings_s)

    @classmethod
    def busy(cls) -> Behaviour:
        return cls.fails(17)

    @classmethod
    def congestion(cls) -> Behaviour:
        return cls.fails(34)

    @classmethod
    def invalid_number(cls) -> Behaviour:
        return cls.fails(1)


@dataclass(eq=False)
class FakeChannel:
    id: str
    name: str
    behaviour: Behaviour
    caller: dict[str, str]
    dialstring: str
    timeout_s: float | None
    creationtime: str
    state: str = "Down"
    subscriptions: Counter[str] = field(default_factory=Counter)
    stasis_app: str | None = None
    dialplan: dict[str, Any] = field(
        default_factory=lambda: {
            "context": "default",
            "exten": "s",
            "priority": 1,
            "app_name": "",
            "app_data": "",
        }
    )
    bridge_id: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    # After answer: either the application (+ args) or a dialplan location.
    start_app: str | None = None
    start_args: list[str] = field(default_factory=list)
    start_context: str | None = None
    start_extension: str = "s"
    other_leg: FakeChannel | None = None
    is_far_leg: bool = False
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def snapshot(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "protocol_id": "",
            "name": self.name,
            "state": self.state,
            "caller": dict(self.caller),
            "connected": {"name": "", "number": ""},
            "accountcode": "",
            "dialplan": dict(self.dialplan),
            "creationtime": self.creationtime,
            "language": "en",
        }


@dataclass(eq=False)
class FakeBridge:
    id: str
    name: str
    bridge_type: str
    creationtime: str
    channels: list[str] = field(default_factory=list)

    def snapshot(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "technology": "simple_bridge" if len(self.channels) <= 2 else "softmix",
            "bridge_type": self.bridge_type,
            "bridge_class": "stasis",
            "creator": "Stasis",
            "name": self.name,
            "channels": list(self.channels),
            "creationtime": self.creationtime,
        }


@dataclass(eq=False)
class Listener:
    """One events WebSocket."""

    apps: list[str]
    outbox: asyncio.Queue[dict[str, Any] | None] = field(default_factory=asyncio.Queue)
    received: list[dict[str, Any]] = field(default_factory=list)


class _QuietRefusals(logging.Filter):
    """uvicorn's sans-I/O WebSocket protocol logs an error after a refused handshake that was
    answered properly with an HTTP status; the fake refuses on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing handshake" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietRefusals())


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _caller(caller_id: str) -> dict[str, str]:
    found = re.fullmatch(r'\s*"?([^"<]*?)"?\s*<([^>]*)>\s*', caller_id)
    if found:
        return {"name": found.group(1), "number": found.group(2)}
    return {"name": "", "number": caller_id.strip()}


Handler = Callable[[dict[str, Any]], tuple[int, Any]]


class FakeAri:
    """The fake Asterisk: `await fake.start()`, point the adapter at `fake.url`, `await
    fake.stop()`."""

    def __init__(
        self,
        *,
        users: dict[str, str] | None = None,
        amd_context: str = "dialcrm-amd",
        amd_app: str = "dialcrm",
        subset: AriSubset | None = None,
    ) -> None:
        self.subset = subset or AriSubset()
        self.users = users if users is not None else {"dialcrm": "secret"}
        self.amd_context = amd_context
        self.amd_app = amd_app
        self.behaviours: dict[str, Behaviour] = {}
        self.default_behaviour = Behaviour.human()
        self.playback_s = 0.05
        self.missing_sounds: set[str] = set()  # sound names that are not installed
        self.channels: dict[str, FakeChannel] = {}
        self.bridges: dict[str, FakeBridge] = {}
        self.live_recordings: dict[str, dict[str, Any]] = {}
        self.stored_recordings: dict[str, dict[str, Any]] = {}
        self.playbacks: dict[str, dict[str, Any]] = {}
        self.music_on_hold: dict[str, str] = {}  # channel id -> the class playing to it
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.destroyed: dict[str, int] = {}  # channel id -> cause, for assertions
        self.listeners: list[Listener] = []
        self.listeners_seen: list[Listener] = []
        self.errors: list[str] = []  # the fake's own failures, asserted empty by the fixture
        self.holders: dict[str, Listener] = {}  # application -> the WebSocket that holds it
        self.is_refusing_event_streams = False
        self._stalled = asyncio.Event()
        self._stalled.set()
        self._sequence = itertools.count(1)
        self._server: uvicorn.Server | None = None
        self.port = 0
        # By the subset's "METHOD /path"; __init__ checks that each operation has its handler.
        self._handlers: dict[str, Handler] = {
            "GET /channels": self._list_channels,
            "GET /channels/{channelId}": self._get_channel,
            "POST /channels": self._originate,
            "DELETE /channels/{channelId}": self._hangup,
            "POST /channels/{channelId}/continue": self._continue,
            "POST /channels/{channelId}/play": self._play,
            "POST /channels/{channelId}/moh": self._start_moh,
            "DELETE /channels/{channelId}/moh": self._stop_moh,
            "POST /bridges": self._create_bridge,
            "GET /bridges/{bridgeId}": self._get_bridge,
            "DELETE /bridges/{bridgeId}": self._destroy_bridge,
            "POST /bridges/{bridgeId}/addChannel": self._add_channel,
            "POST /bridges/{bridgeId}/removeChannel": self._remove_channel,
            "POST /bridges/{bridgeId}/record": self._record_bridge,
            "POST /recordings/live/{recordingName}/stop": self._stop_recording,
        }
        served = {f"{op.method} {op.path}" for op in self.subset.operations if not op.is_websocket}
        if served != set(self._handlers):
            raise ValueError(
                f"{self.subset.file_name} and the fake's handlers differ: described only "
                f"{sorted(served - set(self._handlers))}, handled only "
                f"{sorted(set(self._handlers) - served)}"
            )

    # --- running ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ari"

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self,
            log_level="warning",
            lifespan="off",
            ws="websockets-sansio",
            timeout_graceful_shutdown=1,
        )
        config.load()
        # startup()/shutdown() directly: serve() would poll for its exit every 0.1 s and take
        # over the process's signal handlers.
        self._server = uvicorn.Server(config)
        self._server.lifespan = config.lifespan_class(config)  # what serve() sets up first
        await self._server.startup(sockets=[sock])

    async def stop(self) -> None:
        self._stalled.set()
        for channel in list(self.channels.values()):
            for task in channel.tasks:
                task.cancel()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                await self.drop_event_streams()
        if self._server is not None:
            # uvicorn's shutdown() sleeps a fixed 0.1 s; closing by hand keeps the suite quick.
            state = self._server.server_state
            for listening in self._server.servers:
                listening.close()
            for connection in list(state.connections):
                connection.shutdown()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1):
                    while state.connections or state.tasks:
                        await asyncio.sleep(0.005)
            for task in list(state.tasks):
                task.cancel()

    # --- what tests use ----------------------------------------------------------------------------

    def script(self, number: str, behaviour: Behaviour) -> None:
        """How a number (or an endpoint's resource, e.g. "agent-7") behaves."""
        self.behaviours[number] = behaviour

    def stall(self) -> None:
        """REST requests hang from now on (until `unstall`)."""
        self._stalled.clear()

    def unstall(self) -> None:
        self._stalled.set()

    async def drop_event_streams(self) -> None:
        """Close every events WebSocket (the network or Asterisk went away)."""
        for listener in list(self.listeners):
            listener.outbox.put_nowait(None)
        while self.listeners:
            await asyncio.sleep(0.005)

    def hang_up_far_end(self, channel_id: str, cause: int = 16) -> None:
        """The customer (or agent) hangs up now."""
        channel = self.channels[channel_id]
        self._hang_up(channel, cause, hangup_request={"cause": cause})

    def events_of(self, application: str) -> list[dict[str, Any]]:
        """Every event sent for an application, in order."""
        return [
            event
            for listener in self.listeners_seen
            for event in listener.received
            if event.get("application") == application
        ]

    # --- ASGI --------------------------------------------------------------------------------------

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)

    async def _http(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = parse_qsl(scope["query_string"].decode(), keep_blank_values=True)
        self.requests.append((scope["method"], scope["path"], dict(query)))
        await self._stalled.wait()
        try:
            status, payload = self._answer(scope, query, body)
        except Refused as refusal:
            status, payload = refusal.status, {"message": refusal.message}
        content = b"" if status == 204 else json.dumps(payload).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(content)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})

    def _answer(
        self, scope: dict[str, Any], query: list[tuple[str, str]], body: bytes
    ) -> tuple[int, Any]:
        self._authenticate(scope, query)
        path = scope["path"]
        if not path.startswith("/ari/"):
            raise Refused(404, "Resource not found")
        operation, path_values = self.subset.find(scope["method"], path[len("/ari") :])
        try:
            document = json.loads(body) if body.strip() else None
        except ValueError:
            raise Refused(400, "the request body is not JSON") from None
        values = self.subset.parse(operation, path_values, query, document)
        if operation.is_websocket:
            raise Refused(400, f"{operation.describe()} is a WebSocket")
        handler = self._handlers[f"{operation.method} {operation.path}"]
        try:
            status, payload = handler(values)
        except Refused as refusal:
            if refusal.status not in operation.errors and refusal.status != 400:
                raise SubsetViolation(
                    f"{operation.describe()} may not answer {refusal.status} "
                    f"({self.subset.file_name} lists {sorted(operation.errors)})"
                ) from None
            raise
        if status < 300:
            self.subset.check(operation.answer, payload, operation.describe())
        return status, payload

    def _authenticate(self, scope: dict[str, Any], query: list[tuple[str, str]]) -> None:
        credentials = None
        for name, value in scope.get("headers", []):
            if name.lower() == b"authorization" and value[:6].lower() == b"basic ":
                with contextlib.suppress(ValueError):
                    credentials = base64.b64decode(value[6:]).decode()
        for name, value in query:
            if name == "api_key":
                credentials = value
        user, _, password = (credentials or "").partition(":")
        if credentials is None or self.users.get(user) != password:
            raise Refused(401, "Authentication required")

    async def _websocket(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        await receive()  # websocket.connect
        query = parse_qsl(scope["query_string"].decode(), keep_blank_values=True)
        self.requests.append(("GET", scope["path"], dict(query)))
        try:
            if self.is_refusing_event_streams:
                raise Refused(503, "Asterisk is not answering")
            self._authenticate(scope, query)
            if not scope["path"].startswith("/ari/"):
                raise Refused(404, "Resource not found")
            operation, path_values = self.subset.find("GET", scope["path"][len("/ari") :])
            if not operation.is_websocket:
                raise Refused(400, f"{operation.describe()} is not a WebSocket")
            values = self.subset.parse(operation, path_values, query, None)
        except Refused as refusal:
            content = json.dumps({"message": refusal.message}).encode()
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": refusal.status,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "websocket.http.response.body", "body": content})
            return
        await send({"type": "websocket.accept"})
        listener = Listener(apps=list(values["app"]))
        self.listeners.append(listener)
        self.listeners_seen.append(listener)
        for app in listener.apps:
            previous = self.holders.get(app)
            self.holders[app] = listener
            if previous is not None and previous is not listener:
                self._deliver_to(previous, app, {"type": "ApplicationReplaced"})
        try:
            await self._pump(listener, receive, send)
        finally:
            self.listeners.remove(listener)
            for app in listener.apps:
                if self.holders.get(app) is listener:
                    del self.holders[app]

    async def _pump(
        self,
        listener: Listener,
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        async def outgoing() -> None:
            while True:
                event = await listener.outbox.get()
                if event is None:
                    await send({"type": "websocket.close", "code": 1011})
                    return
                await send({"type": "websocket.send", "text": json.dumps(event)})

        async def incoming() -> None:
            while (await receive())["type"] != "websocket.disconnect":
                pass

        tasks = [asyncio.create_task(outgoing()), asyncio.create_task(incoming())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # --- events ----------------------------------------------------------------------------------

    def _deliver_to(self, listener: Listener, app: str, fields: dict[str, Any]) -> None:
        event = {"asterisk_id": ASTERISK_ID, "application": app, "timestamp": _now(), **fields}
        if not self.subset.is_event(event["type"]):
            raise SubsetViolation(f"{event['type']} is not an event of {self.subset.file_name}")
        self.subset.check(event["type"], event, f"event {event['type']}")
        listener.received.append(event)
        listener.outbox.put_nowait(event)

    def _emit(self, apps: set[str], fields: dict[str, Any]) -> None:
        for app in sorted(apps):
            listener = self.holders.get(app)
            if listener is not None:
                self._deliver_to(listener, app, fields)

    def _channel_event(self, subject: FakeChannel, kind: str, /, **fields: Any) -> None:
        apps = {app for app, count in subject.subscriptions.items() if count > 0}
        self._emit(apps, {"type": kind, **fields})

    # --- channels ----------------------------------------------------------------------------------

    def _channel(self, channel_id: str) -> FakeChannel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise Refused(404, "Channel not found")
        return channel

    def _behaviour(self, resource: str) -> Behaviour:
        number = resource.split("@", 1)[0]
        return self.behaviours.get(resource) or self.behaviours.get(number, self.default_behaviour)

    def _list_channels(self, values: dict[str, Any]) -> tuple[int, Any]:
        return 200, [channel.snapshot() for channel in self.channels.values()]

    def _get_channel(self, values: dict[str, Any]) -> tuple[int, Any]:
        return 200, self._channel(values["channelId"]).snapshot()

    def _originate(self, values: dict[str, Any]) -> tuple[int, Any]:
        endpoint = values["endpoint"]
        technology, _, resource = endpoint.partition("/")
        if technology not in TECHNOLOGIES or not resource:
            raise Refused(400, f"Invalid endpoint {endpoint!r}: expected technology/resource")
        dialplan = [
            name for name in ("extension", "context", "priority", "label") if name in values
        ]
        app = values.get("app")
        if app is not None and dialplan:
            raise Refused(400, "'app' and 'extension/context/priority/label' are exclusive")
        if app is None and "extension" not in values:
            raise Refused(400, "Application or extension must be specified")
        if app is None and "appArgs" in values:
            raise Refused(400, "'appArgs' needs 'app'")
        channel_id = values.get("channelId") or str(uuid.uuid4())
        other_id = values.get("otherChannelId")
        for taken in (channel_id, other_id):
            if taken is not None and taken in self.channels:
                raise Refused(409, "Channel with given unique ID already exists.")
        timeout = values.get("timeout", 30)
        sequence = next(self._sequence)
        is_local = technology == "Local"
        host = resource.split("@", 1)[1] if "@" in resource and not is_local else resource
        name = f"{technology}/{host}-{sequence:08x}" + (";1" if is_local else "")
        channel = FakeChannel(
            id=channel_id,
            name=name,
            behaviour=self._behaviour(resource),
            caller=_caller(values.get("callerId", "")),
            dialstring=resource,
            timeout_s=None if timeout < 0 else float(timeout),
            creationtime=_now(),
            variables={
                key: item if isinstance(item, str) else item["value"]
                for key, item in (values.get("variables") or {}).items()
            },
            start_app=app,
            start_args=[arg for arg in values.get("appArgs", "").split(",") if arg] if app else [],
            start_context=values.get("context", "default") if app is None else None,
            start_extension=values.get("extension", "s"),
        )
        if app is not None:
            channel.subscriptions[app] += 1
        self.channels[channel_id] = channel
        if is_local:
            far = FakeChannel(
                id=other_id or str(uuid.uuid4()),
                name=f"{technology}/{host}-{sequence:08x};2",
                behaviour=channel.behaviour,
                caller=dict(channel.caller),
                dialstring=resource,
                timeout_s=None,
                creationtime=channel.creationtime,
                state="Ring",
                subscriptions=Counter(channel.subscriptions),
                is_far_leg=True,
            )
            channel.other_leg, far.other_leg = far, channel
            self.channels[far.id] = far
        self._run(channel, self._dial_out(channel))
        return 200, channel.snapshot()

    def _run(self, channel: FakeChannel, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        channel.tasks.add(task)
        task.add_done_callback(channel.tasks.discard)
        task.add_done_callback(self._check_task)

    def _check_task(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            self.errors.append(f"{type(error).__name__}: {error}")  # a bug in the fake

    def _set_state(self, channel: FakeChannel, state: str) -> None:
        channel.state = state
        self._channel_event(channel, "ChannelStateChange", channel=channel.snapshot())

    def _dial_event(self, channel: FakeChannel, status: str) -> None:
        self._channel_event(
            channel,
            "Dial",
            caller=None,
            peer=channel.snapshot(),
            dialstring=channel.dialstring,
            dialstatus=status,
        )

    async def _dial_out(self, channel: FakeChannel) -> None:
        behaviour = channel.behaviour
        await asyncio.sleep(0)  # after the originate's answer
        self._dial_event(channel, "")
        await asyncio.sleep(behaviour.ring_after_s)
        if behaviour.cause is not None and behaviour.rings_before_failing_s is None:
            self._fail(channel, behaviour.cause)
            return
        self._set_state(channel, "Ringing")
        self._dial_event(channel, "RINGING")
        limit = channel.timeout_s
        if behaviour.cause is not None:
            assert behaviour.rings_before_failing_s is not None
            if limit is None or behaviour.rings_before_failing_s < limit:
                await asyncio.sleep(behaviour.rings_before_failing_s)
                self._fail(channel, behaviour.cause)
                return
        answer_after = behaviour.answer_after_s
        if answer_after is None or (limit is not None and answer_after >= limit):
            if limit is None:
                await asyncio.Event().wait()
            await asyncio.sleep(limit or 0)
            # Rings out: no final Dial event, the channel ends with "no answer".
            self._hang_up(channel, 19)
            return
        await asyncio.sleep(answer_after)
        self._set_state(channel, "Up")
        self._dial_event(channel, "ANSWER")
        if channel.other_leg is not None:
            channel.other_leg.state = "Up"
        if behaviour.hang_up_after_s is not None:
            self._run(channel, self._far_end_hangs_up(channel, behaviour.hang_up_after_s))
        if channel.start_app is not None:
            self._enter_stasis(channel, channel.start_app, channel.start_args)
        else:
            assert channel.start_context is not None
            await self._run_dialplan(channel, channel.start_context, channel.start_extension)

    def _fail(self, channel: FakeChannel, cause: int) -> None:
        self._dial_event(channel, DIAL_STATUS.get(cause, "CHANUNAVAIL"))
        if channel.other_leg is not None and cause in (17, 34):
            # Local channels: the originated leg ends as "Unknown", the far leg knows why.
            far = channel.other_leg
            self._hang_up(channel, 0, take_other_leg=False)
            self._run(far, self._destroy_later(far, cause))
            return
        self._hang_up(channel, cause)

    async def _destroy_later(self, channel: FakeChannel, cause: int) -> None:
        await asyncio.sleep(0.02)
        self._hang_up(channel, cause)

    async def _far_end_hangs_up(self, channel: FakeChannel, after_s: float) -> None:
        await asyncio.sleep(after_s)
        self._hang_up(channel, 16, hangup_request={"cause": 16})

    def _enter_stasis(self, channel: FakeChannel, app: str, args: list[str]) -> None:
        if app not in self.holders:
            # "Stasis app doesn't exist": the call fails and disappears.
            self._hang_up(channel, 16)
            return
        channel.subscriptions[app] += 1
        channel.stasis_app = app
        channel.dialplan = {
            **channel.dialplan,
            "app_name": "Stasis",
            "app_data": ",".join([app, *args]),
        }
        self._channel_event(channel, "StasisStart", args=list(args), channel=channel.snapshot())

    def _leave_stasis(self, channel: FakeChannel) -> None:
        app = channel.stasis_app
        if app is None:
            return
        self._channel_event(channel, "StasisEnd", channel=channel.snapshot())
        channel.stasis_app = None
        channel.subscriptions[app] -= 1

    async def _run_dialplan(self, channel: FakeChannel, context: str, extension: str) -> None:
        if context != self.amd_context:
            channel.dialplan = {**channel.dialplan, "context": context, "exten": extension}
            self._hang_up(channel, 16)  # no such extension: the PBX ends the call
            return
        behaviour = channel.behaviour
        channel.dialplan = {
            "context": context,
            "exten": extension,
            "priority": 1,
            "app_name": "AMD",
            "app_data": "",
        }
        await asyncio.sleep(behaviour.amd_s)
        channel.dialplan = {**channel.dialplan, "priority": 2}
        self._enter_stasis(
            channel, self.amd_app, ["amd", behaviour.amd_status, behaviour.amd_cause]
        )

    def _hang_up(
        self,
        channel: FakeChannel,
        cause: int,
        *,
        hangup_request: dict[str, Any] | None = None,
        take_other_leg: bool = True,
    ) -> None:
        if self.channels.get(channel.id) is not channel:
            return
        if hangup_request is not None:
            self._channel_event(
                channel, "ChannelHangupRequest", channel=channel.snapshot(), **hangup_request
            )
        if channel.bridge_id is not None:
            self._leave_bridge(channel)
        self._leave_stasis(channel)
        self.music_on_hold.pop(channel.id, None)
        for playback in list(self.playbacks.values()):
            if playback["target_uri"] == f"channel:{channel.id}":
                self._finish_playback(playback, "done")
        del self.channels[channel.id]
        self.destroyed[channel.id] = cause
        self._channel_event(
            channel,
            "ChannelDestroyed",
            cause=cause,
            cause_txt=CAUSE_TEXT.get(cause, "Unknown"),
            channel=channel.snapshot(),
        )
        current = asyncio.current_task()
        for task in list(channel.tasks):
            if task is not current:
                task.cancel()
        other = channel.other_leg
        if take_other_leg and other is not None:
            self._hang_up(other, cause, take_other_leg=False)

    def _hangup(self, values: dict[str, Any]) -> tuple[int, Any]:
        channel = self._channel(values["channelId"])
        if "reason" in values and "reason_code" in values:
            raise Refused(400, "'reason' and 'reason_code' are exclusive")
        cause = 16
        if "reason" in values:
            cause = HANGUP_REASONS[values["reason"]]
        elif "reason_code" in values:
            if not values["reason_code"].isdigit():
                raise Refused(400, "Invalid reason for hangup provided")
            cause = int(values["reason_code"])
        # The request carries the soft-hangup flag (32), not the cause.
        self._hang_up(channel, cause, hangup_request={"cause": 32, "soft": True})
        return 204, None

    def _continue(self, values: dict[str, Any]) -> tuple[int, Any]:
        channel = self._channel(values["channelId"])
        if channel.stasis_app is None:
            raise Refused(409, "Channel not in a Stasis application")
        if channel.bridge_id is not None:
            self._leave_bridge(channel)
        self._leave_stasis(channel)
        context = values.get("context")
        if context is None:
            self._run(channel, self._end_soon(channel))
        else:
            self._run(channel, self._run_dialplan(channel, context, values.get("extension", "s")))
        return 204, None

    async def _end_soon(self, channel: FakeChannel) -> None:
        await asyncio.sleep(0)
        self._hang_up(channel, 16)

    # --- playback ----------------------------------------------------------------------------------

    def _play(self, values: dict[str, Any]) -> tuple[int, Any]:
        channel = self._channel(values["channelId"])
        if channel.stasis_app is None:
            raise Refused(409, "Channel not in a Stasis application")
        if channel.state != "Up":
            raise Refused(412, "Channel in invalid state")
        playback_id = values.get("playbackId") or str(uuid.uuid4())
        media = list(values["media"])
        playback = {
            "id": playback_id,
            "media_uri": media[0],
            "target_uri": f"channel:{channel.id}",
            "language": values.get("lang", "en"),
            "state": "queued",
        }
        self.playbacks[playback_id] = playback
        answer = dict(playback)
        if media[0].startswith("sound:") and media[0][6:] in self.missing_sounds:
            # A real Asterisk looks the first sound up at once and already answers "failed".
            answer["state"] = "failed"
        self._run(channel, self._play_out(channel, playback, media))
        return 201, answer

    # --- music on hold ------------------------------------------------------------------------------

    def _moh_target(self, values: dict[str, Any]) -> FakeChannel:
        channel = self._channel(values["channelId"])
        if channel.stasis_app is None:
            raise Refused(409, "Channel not in a Stasis application")
        if channel.state != "Up":
            raise Refused(412, "Channel in invalid state")
        return channel

    def _start_moh(self, values: dict[str, Any]) -> tuple[int, Any]:
        channel = self._moh_target(values)
        self.music_on_hold[channel.id] = values.get("mohClass", "default")
        return 204, None

    def _stop_moh(self, values: dict[str, Any]) -> tuple[int, Any]:
        channel = self._moh_target(values)
        self.music_on_hold.pop(channel.id, None)  # stopping music that is not playing: no error
        return 204, None

    async def _play_out(
        self, channel: FakeChannel, playback: dict[str, Any], media: list[str]
    ) -> None:
        playback["state"] = "playing"
        self._channel_event(channel, "PlaybackStarted", playback=dict(playback))
        for uri in media:
            playback["media_uri"] = uri
            if uri.startswith("recording:") and uri[10:] not in self.stored_recordings:
                # As a real Asterisk 22 does: it logs "recording does not exist" and the
                # playback stays "playing" without a PlaybackFinished until it is stopped.
                return
            is_missing_sound = uri.startswith("sound:") and uri[6:] in self.missing_sounds
            if not uri.startswith(MEDIA_SCHEMES) or is_missing_sound:
                self._finish_playback(playback, "failed")
                return
            await asyncio.sleep(self.playback_s)
        self._finish_playback(playback, "done")

    def _finish_playback(self, playback: dict[str, Any], state: str) -> None:
        if self.playbacks.pop(playback["id"], None) is None:
            return
        playback["state"] = state
        channel = self.channels.get(playback["target_uri"].split(":", 1)[1])
        if channel is not None:
            self._channel_event(channel, "PlaybackFinished", playback=dict(playback))

    # --- bridges -----------------------------------------------------------------------------------

    def _bridge(self, bridge_id: str) -> FakeBridge:
        bridge = self.bridges.get(bridge_id)
        if bridge is None:
            raise Refused(404, "Bridge not found")
        return bridge

    def _get_bridge(self, values: dict[str, Any]) -> tuple[int, Any]:
        return 200, self._bridge(values["bridgeId"]).snapshot()

    def _create_bridge(self, values: dict[str, Any]) -> tuple[int, Any]:
        types = values.get("type", "mixing").split(",")
        unknown = [item for item in types if item not in BRIDGE_TYPES]
        if unknown:
            raise Refused(400, f"Invalid bridge type {unknown[0]!r}")
        bridge_id = values.get("bridgeId") or str(uuid.uuid4())
        if bridge_id in self.bridges:
            raise Refused(409, "Bridge with the same bridgeId already exists")
        bridge = FakeBridge(
            id=bridge_id,
            name=values.get("name", ""),
            bridge_type="holding" if "holding" in types else "mixing",
            creationtime=_now(),
        )
        self.bridges[bridge_id] = bridge
        return 200, bridge.snapshot()

    def _destroy_bridge(self, values: dict[str, Any]) -> tuple[int, Any]:
        bridge = self._bridge(values["bridgeId"])
        for channel_id in list(bridge.channels):
            self._leave_bridge(self.channels[channel_id])
        for name, recording in list(self.live_recordings.items()):
            if recording["target_uri"] == f"bridge:{bridge.id}":
                self._finish_recording(name)
        del self.bridges[bridge.id]
        return 204, None

    def _add_channel(self, values: dict[str, Any]) -> tuple[int, Any]:
        bridge = self._bridge(values["bridgeId"])
        channels = []
        for channel_id in values["channel"]:
            channel = self.channels.get(channel_id)
            if channel is None:
                raise Refused(400, "Channel not found")
            if channel.stasis_app is None:
                raise Refused(422, "Channel not in Stasis application")
            channels.append(channel)
        for channel in channels:
            if channel.bridge_id == bridge.id:
                continue
            if channel.bridge_id is not None:
                self._leave_bridge(channel)
            channel.bridge_id = bridge.id
            bridge.channels.append(channel.id)
            self._channel_event(
                channel,
                "ChannelEnteredBridge",
                bridge=bridge.snapshot(),
                channel=channel.snapshot(),
            )
        return 204, None

    def _remove_channel(self, values: dict[str, Any]) -> tuple[int, Any]:
        bridge = self._bridge(values["bridgeId"])
        channels = []
        for channel_id in values["channel"]:
            channel = self.channels.get(channel_id)
            if channel is None:
                raise Refused(400, "Channel not found")
            if channel.bridge_id != bridge.id:
                raise Refused(422, "Channel not in this bridge")
            channels.append(channel)
        for channel in channels:
            self._leave_bridge(channel)
        return 204, None

    def _leave_bridge(self, channel: FakeChannel) -> None:
        bridge = self.bridges.get(channel.bridge_id or "")
        channel.bridge_id = None
        if bridge is None:
            return
        bridge.channels.remove(channel.id)
        self._channel_event(
            channel, "ChannelLeftBridge", bridge=bridge.snapshot(), channel=channel.snapshot()
        )

    # --- recordings --------------------------------------------------------------------------------

    def _start_recording(self, values: dict[str, Any], target_uri: str) -> dict[str, Any]:
        name = values["name"]
        if name in self.live_recordings:
            raise Refused(409, "A recording with the same name is in progress")
        if name in self.stored_recordings and values.get("ifExists", "fail") == "fail":
            raise Refused(409, "A recording with the same name already exists")
        if values["format"] not in RECORDING_FORMATS:
            raise Refused(422, "The format specified is unknown on this system")
        recording = {
            "name": name,
            "format": values["format"],
            "target_uri": target_uri,
            "state": "queued",
        }
        self.live_recordings[name] = recording
        started = {**recording, "state": "recording"}
        self._emit(
            self._apps_of_target(target_uri), {"type": "RecordingStarted", "recording": started}
        )
        recording["state"] = "recording"
        return {**recording, "state": "queued"}

    def _apps_of_target(self, target_uri: str) -> set[str]:
        bridge = self.bridges.get(target_uri.removeprefix("bridge:"))
        channels = [self.channels[c] for c in bridge.channels] if bridge else []
        return {app for channel in channels for app, n in channel.subscriptions.items() if n > 0}

    def _record_bridge(self, values: dict[str, Any]) -> tuple[int, Any]:
        bridge = self._bridge(values["bridgeId"])
        return 201, self._start_recording(values, f"bridge:{bridge.id}")

    def _finish_recording(self, name: str) -> None:
        recording = self.live_recordings.pop(name, None)
        if recording is None:
            return
        apps = self._apps_of_target(recording["target_uri"])
        recording = {**recording, "state": "done", "duration": 1}
        self.stored_recordings[name] = {"name": name, "format": recording["format"]}
        self._emit(apps, {"type": "RecordingFinished", "recording": recording})

    def _stop_recording(self, values: dict[str, Any]) -> tuple[int, Any]:
        if values["recordingName"] not in self.live_recordings:
            raise Refused(404, "Recording not found")
        self._finish_recording(values["recordingName"])
        return 204, None
