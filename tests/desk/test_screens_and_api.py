"""The desk's screens and API: who may open what (anonymous, the wrong role, another agent, the
right agent), and that a refusal changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dialcrm.core.choices import Role
from dialcrm.core.models import AuditEntry
from dialcrm.desk.models import DeskDraft, DeskSession, Disposition, Sale, SupervisorAction
from tests.desk.conftest import EARLIER_NOTE, connected_call

pytestmark = pytest.mark.django_db

SALE = {
    "idempotency_key": "browser-key-0001",
    "status": "SALE",
    "answers": {"full_name": "Ana Pop", "plan": "Basic"},
    "note": "",
}


def _json(client: Any, method: str, url: str, body: Any = None) -> Any:
    return getattr(client, method)(
        url, data=json.dumps(body) if body is not None else None, content_type="application/json"
    )


def _sale_body(desk: Any, **extra: Any) -> dict[str, Any]:
    return {**SALE, "products": [{"product_id": desk.products[1].pk, "quantity": 3}], **extra}


# --- the agent's own call -------------------------------------------------------------------


def test_the_agent_reads_their_call_card_with_the_lead_s_history(desk_campaign, client_for):
    call = connected_call(desk_campaign)
    client = client_for(desk_campaign.agent)

    card = client.get(f"/api/desk/calls/{call.call_id}").json()
    current = client.get("/api/desk/calls/current").json()

    assert card["call_id"] == str(call.call_id) == current["call_id"]
    assert card["lead"]["name"] == "Lead0"
    assert card["number"] == call.number
    assert card["script"] == "Good morning Lead0, I am North.Agent from Energia, about your bill."
    assert card["sheet"]["version"] == 2
    assert 'name="ws_full_name"' in card["sheet"]["html"]
    assert [item["status"] for item in card["history"]] == ["CB"]
    assert card["history"][0]["note"] == EARLIER_NOTE
    assert card["history"][0]["agent"] == "North.Teammate"
    assert [callback["note"] for callback in card["callbacks"]] == ["call after 5 pm"]
    assert {status["code"] for status in card["statuses"]} == {
        "SALE",
        "NI",
        "CB",
        "NA",
        "B",
        "AM",
        "DNC",
    }
    assert [product["code"] for product in card["products"]] == ["PLUS", "SOLAR"]


def test_a_draft_saved_while_typing_comes_back_in_the_card(desk_campaign, client_for):
    call = connected_call(desk_campaign)
    client = client_for(desk_campaign.agent)

    saved = _json(
        client,
        "put",
        f"/api/desk/calls/{call.call_id}/draft",
        {"data": {"answers": {"full_name": "Ana P", "plan": "Plus"}, "status": "SALE"}},
    )
    card = client.get(f"/api/desk/calls/{call.call_id}").json()

    assert saved.status_code == 200
    assert card["draft"]["status"] == "SALE"
    assert 'value="Ana P"' in card["sheet"]["html"]
    assert '<option value="Plus" selected>' in card["sheet"]["html"]


def test_a_sale_submitted_twice_records_once_and_another_status_is_refused(
    desk_campaign, client_for, sent_commands
):
    call = connected_call(desk_campaign)
    client = client_for(desk_campaign.agent)
    url = f"/api/desk/calls/{call.call_id}/disposition"

    first = _json(client, "post", url, _sale_body(desk_campaign))
    second = _json(client, "post", url, _sale_body(desk_campaign))
    other = _json(client, "post", url, {**SALE, "status": "NI", "idempotency_key": "key-2-xxxxxx"})

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json() == {**first.json(), "is_replay": True}
    assert first.json()["sale_id"] == Sale.objects.get().pk
    assert other.status_code == 409
    assert other.json() == {"detail": "This call has its status already (SALE · SALE)."}
    assert Disposition.objects.filter(attempt=call).count() == 1


def test_a_callback_for_anyone_is_given_in_the_lead_s_local_time_through_the_api(
    desk_campaign, client_for, sent_commands, django_capture_on_commit_callbacks
):
    import datetime as dt
    import zoneinfo

    from django.utils import timezone

    lead = desk_campaign.leads[0]
    lead.phones.update(time_zone="America/New_York")
    call = connected_call(desk_campaign, lead=lead)
    local = timezone.now().astimezone(zoneinfo.ZoneInfo("America/New_York")) + dt.timedelta(days=2)
    body = {
        "idempotency_key": "callback-anyone-1",
        "status": "CB",
        "answers": {},
        "callback_at": local.strftime("%Y-%m-%dT10:15"),  # naive: the lead's own time
        "callback_for_me": False,
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = _json(
            client_for(desk_campaign.agent),
            "post",
            f"/api/desk/calls/{call.call_id}/disposition",
            body,
        )

    disposition = Disposition.objects.get(attempt=call)
    due = disposition.callback_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    assert response.status_code == 201, response.content
    assert (due.hour, due.minute) == (10, 15)
    assert disposition.callback_agent_id is None  # anyone on the campaign calls back
    assert sent_commands[0]["callback_agent_id"] is None


def test_bad_closings_are_refused_with_the_fields_to_fix(desk_campaign, client_for):
    call = connected_call(desk_campaign)
    client = client_for(desk_campaign.agent)
    url = f"/api/desk/calls/{call.call_id}/disposition"

    zero = _json(
        client,
        "post",
        url,
        _sale_body(
            desk_campaign, products=[{"product_id": desk_campaign.products[0].pk, "quantity": 0}]
        ),
    )
    empty = _json(client, "post", url, {**SALE, "answers": {"plan": "Gold"}})

    assert zero.status_code == 422
    assert zero.json()["detail"][0]["field"] == "products.0.quantity"
    assert empty.status_code == 422
    assert empty.json() == {
        "detail": [
            {"field": "answers.full_name", "message": "This field is required."},
            {"field": "answers.plan", "message": '"Gold" is not one of the options.'},
            {"field": "products", "message": "Add the products sold, with their quantities."},
        ]
    }
    assert not Disposition.objects.filter(attempt=call).exists()


# --- nobody else's call ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["teammate", "south_agent", "other_agent"])
def test_an_agent_never_reaches_another_agents_call(desk_campaign, client_for, org, who):
    call = connected_call(desk_campaign)
    client = client_for(org[who])

    responses = [
        client.get(f"/api/desk/calls/{call.call_id}"),
        _json(client, "put", f"/api/desk/calls/{call.call_id}/draft", {"data": {"note": "x"}}),
        _json(client, "post", f"/api/desk/calls/{call.call_id}/disposition", SALE),
    ]
    current = client.get("/api/desk/calls/current")

    assert [response.status_code for response in responses] == [404, 404, 404]
    assert responses[0].json() == {"detail": "No such call of yours."}
    assert current.status_code == 200 and current.json() is None
    assert not DeskDraft.objects.exists()
    assert not Disposition.objects.filter(attempt=call).exists()


def test_people_who_do_not_take_calls_have_no_desk(desk_campaign, client_for, org):
    call = connected_call(desk_campaign)
    admin = client_for(org[Role.ADMINISTRATOR])
    quality = client_for(org[Role.QUALITY])

    assert admin.get("/desk/").status_code == 403
    assert _json(admin, "post", f"/api/desk/calls/{call.call_id}/disposition", SALE).json() == {
        "detail": "Only agents work on the desk."
    }
    assert admin.get("/api/desk/figures").status_code == 403
    assert quality.get("/api/desk/transfer-targets").status_code == 403
    assert not Disposition.objects.filter(attempt=call).exists()


def test_a_team_leader_has_a_desk_for_their_teams_campaigns_but_not_their_agents_calls(
    desk_campaign, client_for, org
):
    call = connected_call(desk_campaign)
    leader = client_for(org[Role.TEAM_LEADER])
    south_leader = client_for(org["south_leader"])
    start = {"campaign_id": desk_campaign.campaign.pk, "endpoint": "PJSIP/leader"}

    start_screen = leader.get("/desk/")
    theirs = _json(leader, "post", f"/api/desk/calls/{call.call_id}/disposition", SALE)
    other_team = _json(south_leader, "post", "/api/desk/work", start)
    started = _json(leader, "post", "/api/desk/work", start)

    assert start_screen.status_code == 200
    assert desk_campaign.campaign in start_screen.context["form"].fields["campaign"].queryset
    assert theirs.status_code == 404  # an agent's call is theirs alone, not their leader's
    assert not Disposition.objects.filter(attempt=call).exists()
    assert other_team.status_code == 422  # not a campaign of a team they lead
    assert started.status_code == 201
    session = DeskSession.objects.get(agent=org[Role.TEAM_LEADER], ended_at__isnull=True)
    assert session.campaign == desk_campaign.campaign


def test_transfer_targets_are_the_ready_agents_of_the_same_campaign(desk_campaign, client_for, org):
    from django.utils import timezone

    from dialcrm.dialer.models import AgentStateInterval

    now = timezone.now()
    for person, state in ((desk_campaign.agent, "on_call"), (desk_campaign.teammate, "ready")):
        DeskSession.objects.create(
            agent=person, campaign=desk_campaign.campaign, mode="progressive", started_at=now
        )
        AgentStateInterval.objects.create(
            agent=person, campaign=desk_campaign.campaign, state=state, started_at=now
        )
    # Ready, but on another campaign (no open work session on this one): not a target.
    AgentStateInterval.objects.create(
        agent=org["south_agent"], campaign=desk_campaign.campaign, state="ready", started_at=now
    )

    mine = client_for(desk_campaign.agent).get("/api/desk/transfer-targets")
    theirs = client_for(desk_campaign.teammate).get("/api/desk/transfer-targets")
    outsider = client_for(org["south_agent"]).get("/api/desk/transfer-targets")
    leader = client_for(org[Role.TEAM_LEADER]).get("/api/desk/transfer-targets")

    teammate = desk_campaign.teammate
    assert mine.json() == [
        {"id": teammate.pk, "name": str(teammate), "role": "agent", "role_label": "agent"}
    ]
    assert theirs.json() == []  # the agent on a call is not ready
    assert outsider.json() == []  # not working: nobody to transfer to
    assert leader.status_code == 200 and leader.json() == []  # not working on it either


def test_a_team_leader_working_on_the_campaign_is_a_transfer_target_with_their_role(
    desk_campaign, client_for, org
):
    from django.utils import timezone

    from dialcrm.dialer.models import AgentStateInterval

    now = timezone.now()
    leader, south_leader = org[Role.TEAM_LEADER], org["south_leader"]
    for person, state in (
        (desk_campaign.agent, "on_call"),
        (desk_campaign.teammate, "ready"),
        (leader, "ready"),
    ):
        DeskSession.objects.create(
            agent=person, campaign=desk_campaign.campaign, mode="progressive", started_at=now
        )
        AgentStateInterval.objects.create(
            agent=person, campaign=desk_campaign.campaign, state=state, started_at=now
        )
    # Ready, but not working on this campaign: not a target.
    AgentStateInterval.objects.create(
        agent=south_leader, campaign=desk_campaign.campaign, state="ready", started_at=now
    )

    targets = client_for(desk_campaign.agent).get("/api/desk/transfer-targets").json()
    from_leader = client_for(leader).get("/api/desk/transfer-targets").json()

    teammate = desk_campaign.teammate
    assert sorted((target["id"], target["role"], target["role_label"]) for target in targets) == (
        sorted([(teammate.pk, "agent", "agent"), (leader.pk, "team_leader", "team leader")])
    )
    assert {target["name"] for target in targets} == {str(teammate), str(leader)}
    assert [target["id"] for target in from_leader] == [teammate.pk]


def test_anonymous_people_are_sent_to_sign_in(desk_campaign, client):
    call = connected_call(desk_campaign)

    assert client.get("/desk/").status_code == 302
    assert client.get("/desk/team/").status_code == 302
    assert client.get(f"/api/desk/calls/{call.call_id}").status_code == 401
    assert (
        _json(client, "post", f"/api/desk/calls/{call.call_id}/disposition", SALE).status_code
        == 401
    )


# --- starting and ending work ----------------------------------------------------------------------


def test_an_agent_starts_work_on_an_assigned_campaign_and_logs_out(
    desk_campaign, client_for, sent_commands, django_capture_on_commit_callbacks
):
    agent = desk_campaign.agent
    client = client_for(agent)

    start = client.get("/desk/")
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            "/desk/start/",
            {
                "campaign": desk_campaign.campaign.pk,
                "mode": "",
                "endpoint": "PJSIP/agent-7",
                "auto_ready": "on",
                "wrap_up_s": "45",
            },
        )
    desk = client.get("/desk/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/desk/stop/")

    assert start.status_code == 200
    assert b'data-testid="start-form"' in start.content
    assert b"Live test" in start.content
    assert started.status_code == 302
    assert b'data-testid="desk"' in desk.content
    session = DeskSession.objects.get()
    assert (session.mode, session.endpoint, session.auto_ready, session.wrap_up_s) == (
        "progressive",
        "PJSIP/agent-7",
        True,
        45,
    )
    assert session.ended_at is not None
    assert sent_commands == [
        {
            "kind": "login",
            "agent_id": agent.pk,
            "campaign_id": desk_campaign.campaign.pk,
            "endpoint": "PJSIP/agent-7",
            "auto_ready": True,
            "wrap_up_s": 45,
        },
        {"kind": "logout", "agent_id": agent.pk},
    ]


def test_the_wrap_up_time_is_held_within_the_campaign_s_limit(
    desk_campaign, client_for, sent_commands
):
    desk_campaign.campaign.max_wrap_up_s = 60
    desk_campaign.campaign.save(update_fields=["max_wrap_up_s"])
    client = client_for(desk_campaign.agent)
    values = {"campaign": desk_campaign.campaign.pk, "endpoint": "PJSIP/x", "wrap_up_s": "90"}

    screen = client.post("/desk/start/", values)
    api = _json(
        client,
        "post",
        "/api/desk/work",
        {"campaign_id": desk_campaign.campaign.pk, "endpoint": "PJSIP/x", "wrap_up_s": 90},
    )
    start = client.get("/desk/")

    message = "Give 0 to 60 seconds: this campaign allows 60 at most."
    assert screen.status_code == 422
    assert message in screen.content.decode()
    assert api.status_code == 422
    assert api.json()["detail"] == [{"field": "wrap_up_s", "message": message}]
    assert "wrap-up up to 60 s" in start.content.decode()
    assert not DeskSession.objects.exists()
    assert sent_commands == []


def test_an_unassigned_agent_cannot_start_work_on_the_campaign(
    desk_campaign, client_for, org, sent_commands
):
    client = client_for(org["south_agent"])

    page = client.get("/desk/")
    refused = client.post(
        "/desk/start/",
        {"campaign": desk_campaign.campaign.pk, "endpoint": "PJSIP/x", "wrap_up_s": "30"},
    )
    api = _json(
        client,
        "post",
        "/api/desk/work",
        {"campaign_id": desk_campaign.campaign.pk, "endpoint": "PJSIP/x"},
    )

    assert b'data-testid="no-campaign"' in page.content
    assert refused.status_code == 422
    assert api.status_code == 422
    assert api.json()["detail"] == [
        {"field": "campaign", "message": "Choose one of your running campaigns."}
    ]
    assert not DeskSession.objects.exists()
    assert sent_commands == []


def test_a_campaign_s_mode_is_the_only_mode(desk_campaign, client_for):
    client = client_for(desk_campaign.agent)

    response = _json(
        client,
        "post",
        "/api/desk/work",
        {"campaign_id": desk_campaign.campaign.pk, "endpoint": "PJSIP/x", "mode": "manual"},
    )

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "mode", "message": "This campaign works in Progressive mode."}
    ]


# --- team leaders ------------------------------------------------------------------------------------


def test_a_team_leader_sees_their_team_live_and_pauses_an_agent(
    desk_campaign, client_for, org, sent_commands, django_capture_on_commit_callbacks
):
    call = connected_call(desk_campaign)
    leader = org[Role.TEAM_LEADER]
    client = client_for(leader)

    page = client.get("/desk/team/")
    board = client.get("/api/desk/team").json()
    with django_capture_on_commit_callbacks(execute=True):
        paused = client.post(f"/api/desk/team/{desk_campaign.agent.pk}/pause")
    other_team = client.post(f"/api/desk/team/{org['south_agent'].pk}/logout")

    assert page.status_code == 200
    assert {row["name"] for row in board} == {"North.Agent", "North.Teammate"}
    row = next(row for row in board if row["agent_id"] == desk_campaign.agent.pk)
    assert row["call"]["number"] == call.number
    assert paused.status_code == 201
    assert other_team.status_code == 404
    action = SupervisorAction.objects.get()
    assert (action.supervisor, action.agent, action.kind) == (leader, desk_campaign.agent, "pause")
    entry = AuditEntry.objects.get(object_type="org.staff", object_id=str(desk_campaign.agent.pk))
    assert (entry.staff_id, entry.summary) == (leader.pk, "Paused by team leader North.Leader")
    assert sent_commands == [
        {"kind": "pause", "agent_id": desk_campaign.agent.pk, "reason": "supervisor"}
    ]


def test_a_team_leader_logs_an_agent_out_and_their_work_session_ends(
    desk_campaign, client_for, org, sent_commands, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    agent = desk_campaign.agent
    DeskSession.objects.create(
        agent=agent,
        campaign=desk_campaign.campaign,
        mode="progressive",
        endpoint="PJSIP/a",
        started_at=timezone.now(),
    )
    client = client_for(org[Role.TEAM_LEADER])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/desk/team/{agent.pk}/logout")

    assert response.status_code == 201
    assert DeskSession.objects.get().ended_at is not None
    assert sent_commands == [{"kind": "logout", "agent_id": agent.pk}]


@pytest.mark.parametrize("who", [Role.AGENT, Role.QUALITY, "south_leader"])
def test_others_cannot_pause_the_team_s_agents(desk_campaign, client_for, org, who, sent_commands):
    client = client_for(org[who])

    response = client.post(f"/api/desk/team/{desk_campaign.agent.pk}/pause")

    assert response.status_code == (404 if who == "south_leader" else 403)
    assert not SupervisorAction.objects.exists()
    assert sent_commands == []
    if who != "south_leader":
        assert client.get("/desk/team/").status_code == 403


# --- the quality queue and the figures ----------------------------------------------------------------


def test_the_sale_waits_in_the_quality_queue(desk_campaign, client_for, org):
    call = connected_call(desk_campaign)
    agent = client_for(desk_campaign.agent)
    _json(agent, "post", f"/api/desk/calls/{call.call_id}/disposition", _sale_body(desk_campaign))
    quality = client_for(org[Role.QUALITY])

    page = quality.get("/desk/sales/?state=pending")
    queue = quality.get("/api/desk/sales?state=pending").json()
    teammate = client_for(org["teammate"]).get("/api/desk/sales").json()

    assert page.status_code == 200
    assert "3 × Solar panel" in page.content.decode()
    assert "Pending quality review" in page.content.decode()
    assert queue["count"] == 1
    assert queue["items"][0]["lines"] == [
        {"product_id": desk_campaign.products[1].pk, "product": "Solar panel", "quantity": 3}
    ]
    assert queue["items"][0]["call_id"] == str(call.call_id)
    assert teammate["count"] == 0  # an agent sees their own sales only
    assert client_for(org[Role.HUMAN_RESOURCES]).get("/desk/sales/").status_code == 403


def test_an_agent_s_figures_today_against_the_team(desk_campaign, client_for):
    call = connected_call(desk_campaign)
    client = client_for(desk_campaign.agent)
    _json(client, "post", f"/api/desk/calls/{call.call_id}/disposition", _sale_body(desk_campaign))

    figures = client.get("/api/desk/figures").json()

    assert figures["mine"]["calls"] == 1
    assert figures["mine"]["sales"] == 1
    assert figures["mine"]["talk_s"] >= 12
    assert figures["team"]["agents"] == 0  # nobody logged in today: no team average yet


def test_the_desk_speaks_romanian(desk_campaign, client_for):
    agent = desk_campaign.agent
    agent.language = "ro"
    agent.save()

    page = client_for(agent).get("/desk/").content.decode()

    assert "Începerea lucrului" in page
    assert "Disponibil din nou după fiecare apel" in page
