"""The reports' screens and API routes: who may open what, filters, exports, clear refusals."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from dialcrm.core.choices import Role
from tests.reports.conftest import DAY_QUERY

pytestmark = pytest.mark.django_db
QUERY = "period=custom&start=2026-03-02&end=2026-03-02"


def test_the_list_of_reports_is_what_the_person_may_run(org, client_for):
    page = client_for(org[Role.MANAGER]).get("/reports/")
    assert page.status_code == 200
    assert b"Campaign summary" in page.content and b"Profitability against plan" in page.content
    agent_page = client_for(org[Role.AGENT]).get("/reports/")
    assert b"Agent performance" in agent_page.content
    assert b"Campaign summary" not in agent_page.content
    assert b"Profitability" not in agent_page.content


def test_people_without_reports_are_refused(org, client_for):
    assert client_for(org[Role.HUMAN_RESOURCES]).get("/reports/").status_code == 403
    assert client_for(org[Role.BACK_OFFICE]).get("/reports/agent-performance/").status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get("/reports/").status_code == 302
    assert client.get(f"/api/reports/campaign-summary?{QUERY}").status_code == 401


def test_a_report_on_screen_has_its_table_chart_and_exports(org, call_day, client_for):
    page = client_for(org[Role.MANAGER]).get(f"/reports/campaign-summary/?{QUERY}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Live test" in html and "South offer" in html
    assert 'id="report-chart-data"' in html and "vendor/chartjs/chart.min.js" in html
    assert f"/reports/campaign-summary/export.xlsx?{QUERY}" in html.replace("&amp;", "&")


def test_a_report_a_person_may_not_run_is_refused(org, client_for):
    assert client_for(org[Role.TEAM_LEADER]).get("/reports/campaign-summary/").status_code == 403
    assert client_for(org[Role.MANAGER]).get("/reports/no-such-report/").status_code == 404


def test_invalid_filters_are_shown_on_the_screen(org, client_for):
    page = client_for(org[Role.MANAGER]).get(
        "/reports/campaign-summary/?period=custom&start=2026-03-05&end=2026-03-01"
    )
    assert page.status_code == 422
    assert "The last day comes before the first one." in page.content.decode()


def test_the_screen_exports_a_file(org, call_day, client_for):
    response = client_for(org[Role.MANAGER]).get(f"/reports/campaign-summary/export.xlsx?{QUERY}")
    assert response.status_code == 200
    assert 'filename="campaign-summary_20260302-20260302.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A4"].value == "Live test"
    assert (
        client_for(org[Role.MANAGER])
        .get(f"/reports/campaign-summary/export.doc?{QUERY}")
        .status_code
        == 404
    )


def test_api_lists_and_runs_reports(org, call_day, client_for):
    client = client_for(org[Role.LOCATION_MANAGER])
    listed = client.get("/api/reports/").json()
    assert "campaign-summary" in [report["slug"] for report in listed]
    data = client.get(f"/api/reports/campaign-summary?{QUERY}").json()
    assert [row["campaign"] for row in data["rows"]] == ["Live test"]
    assert data["rows"][0]["attempts"] == 6
    assert data["filters"]["start"] == "2026-03-02"
    assert data["chart"]["type"] == "bar"


def test_api_refusals_are_json(org, call_day, client_for):
    agent = client_for(org[Role.AGENT])
    refused = agent.get(f"/api/reports/campaign-summary?{QUERY}")
    assert refused.status_code == 403 and "may not see" in refused.json()["detail"]
    assert agent.get("/api/reports/no-such-report").status_code == 404
    manager = client_for(org[Role.MANAGER])
    invalid = manager.get("/api/reports/campaign-summary?period=custom&start=2026-03-05")
    assert invalid.status_code == 422
    assert invalid.json()["detail"] == [
        {"field": "end", "message": "Give the last day of the period."}
    ]
    other = manager.get(f"/api/reports/campaign-summary?{QUERY}&location={org.other_location.pk}")
    assert other.status_code == 422
    assert other.json()["detail"][0]["field"] == "location"


def test_api_exports(org, call_day, client_for):
    client = client_for(org[Role.MANAGER])
    response = client.get(f"/api/reports/statuses/export?format=json&{QUERY}")
    assert response.status_code == 200
    assert json.loads(response.content)["rows"][0]["calls"] == 3
    assert client.get(f"/api/reports/statuses/export?format=doc&{QUERY}").status_code == 422


def test_api_gives_a_location_manager_their_location(org, call_day, client_for):
    data = client_for(org["south_manager"]).get(f"/api/reports/agent-performance?{QUERY}").json()
    assert [row["agent"] for row in data["rows"]] == ["South.Agent"]
    assert DAY_QUERY["start"] == data["filters"]["start"]
