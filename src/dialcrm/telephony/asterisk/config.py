"""How dialcrm reaches Asterisk: a plain dataclass for the adapter, read from the environment.

The adapter takes an `AriConfig` and never reads the environment itself, so tests build one by
hand and the engine builds one with `AriConfig.from_env()`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

from dialcrm import env

if TYPE_CHECKING:
    from dialcrm.telephony.asterisk.adapter import AsteriskGateway

# Placeholders the trunk template may use: the number as dialled (E.164, "+40723000000") and
# the same without the plus ("40723000000"), for trunks that want bare digits.
TRUNK_PLACEHOLDERS = frozenset({"number", "digits"})
NO_AMD = "none"


@dataclass(frozen=True)
class AriConfig:
    """Where Asterisk's REST interface is, which Stasis application is ours, how to dial out."""

    url: str  # e.g. https://pbx.example.com:8089/ari
    user: str
    password: str
    app: str = "dialcrm"
    # A dial string with {number} or {digits}: "PJSIP/{number}@trunk", "Local/{digits}@test".
    trunk: str = "PJSIP/{number}@trunk"
    # The dialplan context that runs AMD() and returns to Stasis; None places calls without AMD.
    amd_context: str | None = "dialcrm-amd"
    amd_extension: str = "s"
    request_timeout_s: float = 5.0
    connect_timeout_s: float = 10.0
    agent_answer_timeout_s: float = 30.0
    agent_caller_id: str = '"dialcrm" <0>'
    playback_timeout_s: float = 120.0
    recording_format: str = "wav"
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0
    ping_interval_s: float = 10.0
    # With Local channels the originated leg may end with cause 0 while the far leg carries the
    # real cause: wait this long for the far leg before reporting the call as failed.
    far_leg_grace_s: float = 1.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"the ARI address {self.url!r} must look like http(s)://host:port/ari")
        fields = {name for _, name, _, _ in string.Formatter().parse(self.trunk) if name}
        if not fields or not fields <= TRUNK_PLACEHOLDERS:
            raise ValueError(
                f"the trunk template {self.trunk!r} must contain {{number}} or {{digits}} "
                "and no other placeholder, e.g. PJSIP/{number}@trunk"
            )
        if "/" not in self.trunk.split("{", 1)[0]:
            raise ValueError(
                f"the trunk template {self.trunk!r} must start with a technology, "
                "e.g. PJSIP/{number}@trunk"
            )
        for name in (
            "request_timeout_s",
            "connect_timeout_s",
            "agent_answer_timeout_s",
            "playback_timeout_s",
            "reconnect_min_s",
            "reconnect_max_s",
            "ping_interval_s",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive (got {getattr(self, name)})")

    @property
    def rest_url(self) -> str:
        """The REST base with a trailing slash, so relative paths join under /ari/."""
        return self.url.rstrip("/") + "/"

    @property
    def events_url(self) -> str:
        """The events WebSocket of our application (ws:// or wss:// like the REST address)."""
        parts = urlsplit(self.url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        path = parts.path.rstrip("/") + "/events"
        query = f"app={quote(self.app, safe='')}&subscribeAll=false"
        return urlunsplit((scheme, parts.netloc, path, query, ""))

    @property
    def uses_local_channels(self) -> bool:
        return self.trunk.lower().startswith("local/")

    def endpoint_for(self, number: str) -> str:
        """The dial string for a number, from the trunk template."""
        return self.trunk.format(number=number, digits=number.lstrip("+"))

    @classmethod
    def from_env(cls) -> AriConfig:
        """Read ASTERISK_* variables; a missing or malformed one fails with its name."""
        amd_context = env.string("ASTERISK_AMD_CONTEXT", default="dialcrm-amd")
        try:
            return cls(
                url=env.string("ASTERISK_ARI_URL"),
                user=env.string("ASTERISK_ARI_USER"),
                password=env.string("ASTERISK_ARI_PASSWORD"),
                app=env.string("ASTERISK_ARI_APP", default="dialcrm"),
                trunk=env.string("ASTERISK_TRUNK", default="PJSIP/{number}@trunk"),
                amd_context=None if amd_context.lower() == NO_AMD else amd_context,
                request_timeout_s=env.integer("ASTERISK_REQUEST_TIMEOUT_S", default=5, minimum=1),
                agent_answer_timeout_s=env.integer(
                    "ASTERISK_AGENT_ANSWER_TIMEOUT_S", default=30, minimum=1
                ),
                agent_caller_id=env.string("ASTERISK_AGENT_CALLER_ID", default='"dialcrm" <0>'),
            )
        except ValueError as error:
            raise env.ConfigurationError(
                f"{error}: check ASTERISK_ARI_URL and ASTERISK_TRUNK."
            ) from None


def gateway_from_settings() -> AsteriskGateway:
    """The adapter as the deployment configures it (ASTERISK_* variables). Its events stream
    opens with the first command or the first wait for an event."""
    from dialcrm.telephony.asterisk.adapter import AsteriskGateway

    return AsteriskGateway(AriConfig.from_env())
