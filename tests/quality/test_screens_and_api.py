"""Quality review through the screens and the JSON API: who sees the queue and a sale's review
(in scope, 404 out of it, 403 when only reading), the decisions, the agent's side (My sales,
fix and resubmit, the desk's panel), the recording served after the access check, scorecards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dialcrm.core.choices import Role
from dialcrm.desk.models import Sale
from dialcrm.dialer.models import CallAttempt
from dialcrm.quality.models import ReviewStep, SaleCorrection, ScoreCriterion
from tests.quality.conftest import make_sale

pytestmark = pytest.mark.django_db


def _send(client: Any, method: str, url: str, body: Any = None) -> Any:
    return getattr(client, method)(
        url, data=json.dumps(body) if body is not None else None, content_type="application/json"
    )


# --- the queue and the review screen ---------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (Role.QUALITY, 200),
        (Role.MANAGER, 200),
        (Role.ADMINISTRATOR, 200),
        (Role.LOCATION_MANAGER, 200),
        (Role.TEAM_LEADER, 200),
        (Role.AGENT, 403),
        (Role.HUMAN_RESOURCES, 403),
        (Role.BACK_OFFICE, 403),
    ],
)
def test_who_opens_the_queue(org, sale, client_for, who, status):
    response = client_for(org[who]).get("/quality/")
    assert response.status_code == status
    if status == 200:
        assert response.content.count(b'data-testid="queue-row"') == 1


def test_the_queue_lists_what_waits_in_scope_with_counts(org, desk, sale, client_for):
    north = client_for(org[Role.LOCATION_MANAGER]).get("/quality/")
    assert north.content.count(b'data-testid="queue-row"') == 1
    assert b'data-testid="queue-total">1<' in north.content
    south = client_for(org["south_manager"]).get("/quality/")
    assert b'data-testid="queue-row"' not in south.content
    filtered = client_for(org[Role.QUALITY]).get("/quality/", {"age": "7d"})
    assert b'data-testid="queue-row"' not in filtered.content


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (Role.QUALITY, 200),
        (Role.LOCATION_MANAGER, 200),
        ("south_manager", 404),
        ("other_admin", 404),
        (Role.AGENT, 403),
    ],
)
def test_who_opens_a_sale_s_review(org, sale, client_for, who, status):
    response = client_for(org[who]).get(f"/quality/sales/{sale.pk}/")
    assert response.status_code == status


def test_the_review_shows_what_was_captured_the_history_and_the_actions(org, sale, client_for):
    page = client_for(org[Role.QUALITY]).get(f"/quality/sales/{sale.pk}/").content.decode()
    assert "Ana Pop" in page
    assert "2 × Energy Plus" in page
    assert "Asked to be called after 5 pm" in page  # the earlier call's note
    assert 'data-testid="no-recording"' in page
    assert 'data-testid="accept"' in page
    read_only = client_for(org[Role.LOCATION_MANAGER]).get(f"/quality/sales/{sale.pk}/")
    assert b'data-testid="accept"' not in read_only.content


def test_a_reviewer_returns_a_sale_on_screen_and_a_reason_is_required(org, sale, client_for):
    client = client_for(org[Role.QUALITY])
    missing = client.post(f"/quality/sales/{sale.pk}/reject/", {"reason": ""})
    assert missing.status_code == 422
    assert b"Say what the agent must fix." in missing.content
    assert Sale.objects.get(pk=sale.pk).state == "pending"

    done = client.post(f"/quality/sales/{sale.pk}/reject/", {"reason": "Wrong plan"})
    assert done.status_code == 302
    assert Sale.objects.get(pk=sale.pk).state == "rejected"
    again = client.post(f"/quality/sales/{sale.pk}/accept/", {"reason": ""}, follow=True)
    assert b"This sale cannot be accepted: it is returned to the agent." in again.content
    assert Sale.objects.get(pk=sale.pk).state == "rejected"


def test_corrections_on_screen_are_tracked_and_shown(org, desk, sale, client_for):
    client = client_for(org[Role.QUALITY])
    form = {
        "ws_full_name": "Ana Popescu",
        "ws_plan": "Basic",
        "ws_kwh": "250",
        "ws_contact_ok": "yes",
        f"product_{desk.products[0].pk}": "2",
        f"product_{desk.products[1].pk}": "1",
    }
    response = client.post(f"/quality/sales/{sale.pk}/correct/", form, follow=True)
    assert response.status_code == 200
    assert response.content.count(b'data-testid="correction"') == 2
    assert b"Ana Popescu" in response.content
    bad = client.post(
        f"/quality/sales/{sale.pk}/correct/", {**form, "ws_plan": "Gold", "ws_full_name": "X Y"}
    )
    assert bad.status_code == 422
    assert SaleCorrection.objects.count() == 2


def test_location_managers_and_agents_cannot_decide(org, desk, sale, client_for):
    manager = client_for(org[Role.LOCATION_MANAGER])
    assert manager.post(f"/quality/sales/{sale.pk}/accept/").status_code == 403
    agent = client_for(desk.agent)
    assert agent.post(f"/quality/sales/{sale.pk}/accept/").status_code == 403
    assert _send(agent, "post", f"/api/quality/sales/{sale.pk}/accept", {}).status_code == 403
    assert Sale.objects.get(pk=sale.pk).state == "pending"
    assert not ReviewStep.objects.exists()


# --- the recording ---------------------------------------------------------------------------


def test_the_recording_is_served_only_to_those_who_see_the_sale(
    org, sale, client_for, settings, tmp_path: Path
):
    settings.RECORDINGS_DIR = tmp_path
    name = f"campaign-{sale.campaign_id}-{sale.disposition.attempt.call_id}"
    (tmp_path / f"{name}.wav").write_bytes(b"RIFF....WAVE")
    CallAttempt.objects.filter(pk=sale.disposition.attempt_id).update(recording=name)

    page = client_for(org[Role.QUALITY]).get(f"/quality/sales/{sale.pk}/")
    assert f'src="/quality/sales/{sale.pk}/recording/"'.encode() in page.content
    played = client_for(org[Role.QUALITY]).get(f"/quality/sales/{sale.pk}/recording/")
    assert (played.status_code, played["Content-Type"]) == (200, "audio/wav")
    assert b"".join(played.streaming_content) == b"RIFF....WAVE"
    assert (
        client_for(org["other_admin"]).get(f"/quality/sales/{sale.pk}/recording/").status_code
        == 404
    )
    assert (
        client_for(org[Role.AGENT]).get(f"/quality/sales/{sale.pk}/recording/").status_code == 403
    )


def test_a_recording_name_cannot_reach_outside_the_recordings(
    org, sale, client_for, settings, tmp_path
):
    settings.RECORDINGS_DIR = tmp_path / "recordings"
    (tmp_path / "secret.wav").write_bytes(b"secret")
    CallAttempt.objects.filter(pk=sale.disposition.attempt_id).update(recording="../secret.wav")
    response = client_for(org[Role.QUALITY]).get(f"/quality/sales/{sale.pk}/recording/")
    assert response.status_code == 404


# --- the agent's side ----------------------------------------------------------------------------


def test_the_agent_sees_a_returned_sale_fixes_it_and_resubmits(org, desk, sale, client_for):
    quality = client_for(org[Role.QUALITY])
    quality.post(f"/quality/sales/{sale.pk}/reject/", {"reason": "The plan is Plus"})
    agent = client_for(desk.agent)

    listing = agent.get("/quality/mine/").content.decode()
    assert "The plan is Plus" in listing
    assert 'data-testid="fix"' in listing
    fix = {
        "ws_full_name": "Ana Pop",
        "ws_plan": "Plus",
        "ws_kwh": "250",
        "ws_contact_ok": "yes",
        f"product_{desk.products[0].pk}": "2",
        f"product_{desk.products[1].pk}": "0",
        "note": "Plan fixed",
    }
    response = agent.post(f"/quality/mine/{sale.pk}/", fix)
    assert response.status_code == 302
    sale.refresh_from_db()
    assert (sale.state, sale.disposition.answers["plan"]) == ("resubmitted", "Plus")
    assert agent.post(f"/quality/mine/{sale.pk}/", fix, follow=True).status_code == 200
    assert ReviewStep.objects.filter(kind="resubmitted").count() == 1


def test_an_agent_never_opens_another_agent_s_sale_and_others_have_no_my_sales(
    org, desk, client_for
):
    theirs = make_sale(desk, agent=desk.teammate, lead=desk.leads[1])
    assert client_for(desk.agent).get(f"/quality/mine/{theirs.pk}/").status_code == 404
    assert client_for(org[Role.QUALITY]).get("/quality/mine/").status_code == 403


def test_the_desk_shows_the_agent_s_returned_sales(org, desk, sale, client_for):
    from dialcrm.desk.services import start_work

    start_work(desk.agent, desk.campaign.pk, endpoint="PJSIP/agent-1")
    client_for(org[Role.QUALITY]).post(f"/quality/sales/{sale.pk}/reject/", {"reason": "Fix"})
    page = client_for(desk.agent).get("/desk/").content.decode()
    assert 'data-testid="returned-sales"' in page
    assert "1 sale returned to you" in page


# --- the API -------------------------------------------------------------------------------------


def test_the_api_runs_the_whole_review(org, desk, sale, client_for):
    quality = client_for(org[Role.QUALITY])
    queue = quality.get("/api/quality/queue").json()
    assert queue["count"] == 1
    assert queue["items"][0]["lines"] == [
        {"product_id": desk.products[0].pk, "product": "Energy Plus", "quantity": 2}
    ]
    counts = quality.get("/api/quality/queue/counts").json()
    assert counts["campaigns"][0]["waiting"] == 1

    card = quality.get(f"/api/quality/sales/{sale.pk}").json()
    assert card["state"] == "pending"
    assert card["history"][0]["note"] == "Asked to be called after 5 pm, interested in Plus"
    assert card["call"]["recording_url"] is None

    confirmation = _send(
        quality, "post", f"/api/quality/sales/{sale.pk}/confirmations", {"outcome": "confirmed"}
    )
    assert confirmation.status_code == 201
    corrected = _send(
        quality, "post", f"/api/quality/sales/{sale.pk}/corrections", {"answers": {"kwh": 300}}
    )
    assert [(c["field"], c["old_value"], c["new_value"]) for c in corrected.json()] == [
        ("answers.kwh", 250, 300)
    ]
    rejected = _send(quality, "post", f"/api/quality/sales/{sale.pk}/reject", {"reason": "Plan"})
    assert rejected.json() == {"id": sale.pk, "state": "rejected"}

    agent = client_for(desk.agent)
    mine = agent.get("/api/quality/mine").json()
    assert mine["items"][0]["return_reason"] == "Plan"
    resubmitted = _send(
        agent, "post", f"/api/quality/mine/{sale.pk}/resubmit", {"answers": {"plan": "Plus"}}
    )
    assert resubmitted.json() == {"id": sale.pk, "state": "resubmitted"}

    accepted = _send(quality, "post", f"/api/quality/sales/{sale.pk}/accept", {})
    assert accepted.json() == {"id": sale.pk, "state": "accepted"}
    refused = _send(quality, "post", f"/api/quality/sales/{sale.pk}/cancel", {"reason": "x"})
    assert refused.status_code == 409
    assert refused.json() == {"detail": "This sale cannot be cancelled: it is accepted."}
    counts = quality.get("/api/quality/queue/counts").json()
    assert (counts["total"], counts["campaigns"]) == (0, [])


def test_api_refusals_are_clear(org, desk, sale, client_for):
    quality = client_for(org[Role.QUALITY])
    no_reason = _send(quality, "post", f"/api/quality/sales/{sale.pk}/reject", {"reason": ""})
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"] == [
        {"field": "reason", "message": "Say what the agent must fix."}
    ]
    bad_answer = _send(
        quality, "post", f"/api/quality/sales/{sale.pk}/corrections", {"answers": {"plan": "Gold"}}
    )
    assert bad_answer.status_code == 422
    assert bad_answer.json()["detail"][0]["field"] == "answers.plan"
    out_of_scope = _send(
        client_for(org["other_admin"]), "post", f"/api/quality/sales/{sale.pk}/accept", {}
    )
    assert out_of_scope.status_code == 404
    read_only = _send(
        client_for(org[Role.LOCATION_MANAGER]), "post", f"/api/quality/sales/{sale.pk}/accept", {}
    )
    assert read_only.status_code == 403
    assert client_for(desk.agent).get("/api/quality/queue").status_code == 403
    assert client_for(org[Role.QUALITY]).get("/api/quality/mine").status_code == 403
    assert client_for(desk.agent).get("/api/quality/mine?state=lost").status_code == 422
    assert quality.get("/api/quality/queue?age=2h").status_code == 422
    assert Sale.objects.get(pk=sale.pk).state == "pending"


def test_scorecards_and_scores_through_the_api(org, desk, sale, client_for):
    quality = client_for(org[Role.QUALITY])
    created = _send(
        quality,
        "post",
        "/api/quality/criteria",
        {"campaign_id": desk.campaign.pk, "name": "Consent", "weight": 3},
    )
    assert created.status_code == 201
    criterion = created.json()["id"]
    refused = _send(
        client_for(org[Role.LOCATION_MANAGER]),
        "post",
        "/api/quality/criteria",
        {"campaign_id": desk.campaign.pk, "name": "Tone", "weight": 1},
    )
    assert refused.status_code == 403
    scored = _send(
        quality, "put", f"/api/quality/sales/{sale.pk}/score", {"points": {str(criterion): 7}}
    )
    assert scored.json()["total"] == 70.0
    averages = client_for(org[Role.TEAM_LEADER]).get("/api/quality/scores/averages").json()
    assert (averages["agents"][0]["agent_id"], averages["agents"][0]["average"]) == (
        desk.agent.pk,
        "70.00",
    )
    assert client_for(desk.agent).get("/api/quality/scores/averages").status_code == 403
    assert ScoreCriterion.objects.get().name == "Consent"


def test_scorecard_screens_for_quality_only(org, desk, client_for):
    quality = client_for(org[Role.QUALITY])
    added = quality.post(
        "/quality/scorecards/add/",
        {"campaign": desk.campaign.pk, "name": "Greeting", "weight": "2", "position": "1"},
    )
    assert added.status_code == 302
    assert ScoreCriterion.objects.get().weight == 2
    assert client_for(org[Role.LOCATION_MANAGER]).get("/quality/scorecards/").status_code == 200
    assert client_for(org[Role.LOCATION_MANAGER]).get("/quality/scorecards/add/").status_code == 403
    assert client_for(desk.agent).get("/quality/scorecards/").status_code == 403
    assert client_for(org[Role.QUALITY]).get("/quality/scores/").status_code == 200
