"""What the desk's browser may say over its WebSocket, checked before anything is done.

A message is a JSON object `{"action": ..., ...}`; the agent is always the signed-in person (a
message naming an agent is refused). Each action has its own fields:

| action | fields |
|---|---|
| `login` | `campaign_id` (optional: by default the campaign of the open work session) |
| `ready`, `hang_up`, `hold`, `unhold`, `logout`, `preview_next`, `ping` | none |
| `pause` | `reason`: `break`, `lunch`, `training`, `meeting`, `technical`, `other` |
| `dial` | `number` (optional: manual mode; without it, the previewed lead) |
| `skip` | `reason`: `not_now`, `bad_data`, `duplicate`, `other` |
| `transfer` | `to_agent_id`: a ready agent of the campaign, who takes the call |
| `consult` | `to_agent_id`: a ready agent of the campaign to talk to while the customer holds |
| `consult_transfer`, `consult_conference`, `consult_cancel` | none |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from dialcrm.desk.choices import AgentPauseReason, SkipReason

MAX_MESSAGE_CHARS = 4096
NUMBER_PATTERN = re.compile(r"\+?\(?[0-9][0-9 ().-]{2,30}")
FIELDS: dict[str, frozenset[str]] = {
    "login": frozenset({"campaign_id"}),
    "ready": frozenset(),
    "pause": frozenset({"reason"}),
    "hang_up": frozenset(),
    "logout": frozenset(),
    "preview_next": frozenset(),
    "dial": frozenset({"number"}),
    "skip": frozenset({"reason"}),
    "hold": frozenset(),
    "unhold": frozenset(),
    "transfer": frozenset({"to_agent_id"}),
    "consult": frozenset({"to_agent_id"}),
    "consult_transfer": frozenset(),
    "consult_conference": frozenset(),
    "consult_cancel": frozenset(),
    "ping": frozenset(),
}
ACTIONS = frozenset(FIELDS)


class DeskMessageError(ValueError):
    """A message from the browser that cannot be acted on, with the reason to show."""

    def __init__(self, reason: str, action: str = "") -> None:
        super().__init__(reason)
        self.action = action


@dataclass(frozen=True)
class DeskAction:
    """A checked message from the desk."""

    action: str
    campaign_id: int | None = None
    reason: str = ""
    number: str = ""
    to_agent_id: int | None = None

    def command(self, agent_id: int) -> dict[str, Any]:
        """The engine command (`AgentCommand` fields) for this action of this agent."""
        command: dict[str, Any] = {"kind": self.action, "agent_id": agent_id}
        if self.reason:
            command["reason"] = self.reason
        if self.number:
            command["number"] = self.number
        if self.campaign_id is not None:
            command["campaign_id"] = self.campaign_id
        if self.to_agent_id is not None:
            command["target_agent_id"] = self.to_agent_id
        return command


def parse_desk_message(payload: Any) -> DeskAction:
    """A DeskAction from a decoded message; DeskMessageError with a clear reason otherwise."""
    if not isinstance(payload, dict):
        raise DeskMessageError(_('Send an object such as {"action": "ready"}.'))
    action = payload.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise DeskMessageError(
            _("Unknown action %(action)s: use one of %(actions)s.")
            % {"action": _shown(action), "actions": ", ".join(sorted(ACTIONS))}
        )
    unknown = sorted(str(name) for name in set(payload) - FIELDS[action] - {"action"})
    if "agent_id" in unknown:
        raise DeskMessageError(
            _("Do not name an agent: the desk always acts for the signed-in person."), action
        )
    if unknown:
        raise DeskMessageError(
            _("Unknown fields for %(action)s: %(fields)s.")
            % {"action": action, "fields": ", ".join(unknown)},
            action,
        )
    if action == "pause":
        return DeskAction(action, reason=_choice(payload, AgentPauseReason.values, action))
    if action == "skip":
        return DeskAction(action, reason=_choice(payload, SkipReason.values, action))
    if action == "login":
        campaign_id = payload.get("campaign_id")
        if campaign_id is not None and not _is_id(campaign_id):
            raise DeskMessageError(_("campaign_id must be a whole number."), action)
        return DeskAction(action, campaign_id=campaign_id)
    if action == "transfer":
        to_agent_id = payload.get("to_agent_id")
        if not _is_id(to_agent_id):
            raise DeskMessageError(
                _("to_agent_id must be the number of the agent who takes the call."), action
            )
        return DeskAction(action, to_agent_id=to_agent_id)
    if action == "consult":
        to_agent_id = payload.get("to_agent_id")
        if not _is_id(to_agent_id):
            raise DeskMessageError(
                _("to_agent_id must be the number of the colleague to consult."), action
            )
        return DeskAction(action, to_agent_id=to_agent_id)
    if action == "dial":
        number = payload.get("number", "")
        if number is None:
            number = ""
        if not isinstance(number, str) or (
            number.strip() and not NUMBER_PATTERN.fullmatch(number.strip())
        ):
            raise DeskMessageError(
                _("%(number)s is not a phone number.") % {"number": _shown(number)}, action
            )
        return DeskAction(action, number=re.sub(r"[ ().-]", "", number.strip()))
    return DeskAction(action)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _choice(payload: dict[str, Any], choices: list[str], action: str) -> str:
    reason = payload.get("reason")
    if reason not in choices:
        raise DeskMessageError(
            _("reason must be one of %(choices)s.") % {"choices": ", ".join(choices)}, action
        )
    return str(reason)


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 40 else f"{text[:39]}…"
