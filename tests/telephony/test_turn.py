"""TURN credentials: the signing rule, the API route, and a real coturn that accepts what dialcrm
issues and refuses expired or forged credentials."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from dialcrm.core.choices import Role
from dialcrm.org.models import Staff
from dialcrm.telephony.turn import turn_credentials
from tests.conftest import Org

SHIPPED_CONFIG = Path(__file__).resolve().parents[2] / "deploy/coturn/turnserver.conf"
SECRET = "test-secret-1f4e9a"
TURN_URL = "turn:127.0.0.1:3478?transport=udp"
ClientFor = Callable[[Staff], Client]


def test_credentials_follow_the_turn_rest_convention() -> None:
    # Checked independently: printf '1700003600:42' | openssl dgst -sha1 -hmac north -binary | base64
    username, password = turn_credentials(42, "north", 3600, now=1_700_000_000.7)

    assert (username, password) == ("1700003600:42", "WO3ZFttCQxBYtA2Ohz7jjGcQStA=")


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="TURN_SECRET"):
        turn_credentials(42, "", 3600, now=0)


# --- the API route -----------------------------------------------------------------------------


@pytest.fixture
def turn_settings(settings: Settings) -> None:
    settings.TURN_URLS = [TURN_URL]
    settings.TURN_SECRET = SECRET
    settings.TURN_TTL_S = 600


def test_a_signed_in_agent_gets_short_lived_credentials(
    org: Org, client_for: ClientFor, turn_settings: None
) -> None:
    agent = org[Role.AGENT]
    before = int(time.time())

    response = client_for(agent).get("/api/telephony/turn")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    expiry, staff_id = body["username"].split(":")
    assert staff_id == str(agent.pk)
    assert before + 600 <= int(expiry) <= int(time.time()) + 600
    assert body["credential"] == turn_credentials(agent.pk, SECRET, 600, int(expiry) - 600)[1]
    assert (body["urls"], body["ttl"]) == ([TURN_URL], 600)


@pytest.mark.parametrize("role", [Role.TEAM_LEADER, Role.QUALITY])
def test_other_people_on_the_phone_get_credentials_too(
    org: Org, client_for: ClientFor, turn_settings: None, role: str
) -> None:
    response = client_for(org[role]).get("/api/telephony/turn")

    assert response.status_code == 200


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.MANAGER, Role.BACK_OFFICE])
def test_people_who_do_not_take_calls_are_refused(
    org: Org, client_for: ClientFor, turn_settings: None, role: str
) -> None:
    response = client_for(org[role]).get("/api/telephony/turn")

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Only agents, team leaders and quality staff use the softphone."
    )


def test_anonymous_visitors_are_refused(db: None, client: Client, turn_settings: None) -> None:
    response = client.get("/api/telephony/turn")

    assert response.status_code == 401


def test_without_a_turn_server_configured_the_answer_says_so(
    org: Org, client_for: ClientFor, settings: Settings
) -> None:
    settings.TURN_SECRET = ""

    response = client_for(org[Role.AGENT]).get("/api/telephony/turn")

    assert response.status_code == 503
    assert "set TURN_URLS and TURN_SECRET" in response.json()["detail"]


# --- a real coturn -----------------------------------------------------------------------------


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def config_for_test(shipped: str, port: int, workdir: Path) -> str:
    """The shipped configuration with the deployment's placeholders replaced by loopback test
    values; everything else (use-auth-secret, peer rules, quotas) is kept as shipped."""
    replaced = {
        "listening-port",
        "tls-listening-port",
        "external-ip",
        "static-auth-secret",
        "realm",
        "cert",
        "pkey",
        "min-port",
        "max-port",
        "syslog",
    }
    kept = [line for line in shipped.splitlines() if line.split("=", 1)[0].strip() not in replaced]
    return "\n".join(
        [
            *kept,
            f"listening-port={port}",
            "listening-ip=127.0.0.1",
            "relay-ip=127.0.0.1",
            f"static-auth-secret={SECRET}",
            "realm=dialcrm.test",
            "min-port=55000",
            "max-port=55199",
            "no-tls",  # the shipped certificate paths do not exist here
            "no-dtls",
            f"userdb={workdir / 'turndb'}",
            f"pidfile={workdir / 'turnserver.pid'}",
            f"log-file={workdir / 'turnserver.log'}",
            "",
        ]
    )


@dataclass
class Turn:
    port: int
    peer_port: int
    workdir: Path

    def allocate(self, username: str, password: str) -> subprocess.CompletedProcess[str]:
        """Allocate a relay and send a few packets through it to the echo peer."""
        command = ["turnutils_uclient", "-v", "-n", "2", "-m", "1", "-c"]
        command += ["-p", str(self.port), "-e", "127.0.0.1", "-r", str(self.peer_port)]
        command += ["-u", username, "-w", password, "127.0.0.1"]
        return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


def _listens(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Turn]:
    if shutil.which("turnserver") is None or shutil.which("turnutils_uclient") is None:
        pytest.skip("coturn is not installed: apt-get install coturn (.ci/run does)")
    tmp_path = tmp_path_factory.mktemp("coturn")
    shipped = SHIPPED_CONFIG.read_text()
    port, peer_port = free_port(), free_port()
    config = tmp_path / "turnserver.conf"
    config.write_text(config_for_test(shipped, port, tmp_path))
    # Loopback peers are for this test only, given on the command line, never in the file.
    server = subprocess.Popen(
        ["turnserver", "-c", str(config), "--allow-loopback-peers"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peer = subprocess.Popen(
        ["turnutils_peer", "-L", "127.0.0.1", "-p", str(peer_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _listens(port):  # TURN over TCP answers as soon as the UDP side does
            if server.poll() is not None or time.monotonic() > deadline:
                log = (tmp_path / "turnserver.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"turnserver did not start on port {port}:\n{log}")
            time.sleep(0.02)
        yield Turn(port, peer_port, tmp_path)
    finally:
        _stop(peer)
        _stop(server)


def test_the_shipped_configuration_uses_secrets_and_no_loopback_peers() -> None:
    settings = {line.split("=", 1)[0].strip() for line in SHIPPED_CONFIG.read_text().splitlines()}

    assert {"use-auth-secret", "static-auth-secret", "realm", "fingerprint"} <= settings
    assert {"listening-port", "tls-listening-port", "min-port", "max-port"} <= settings
    assert "allow-loopback-peers" not in settings


def test_coturn_relays_for_the_credentials_dialcrm_issues(
    org: Org, client_for: ClientFor, turn_settings: None, coturn: Turn
) -> None:
    issued = client_for(org[Role.AGENT]).get("/api/telephony/turn").json()

    result = coturn.allocate(issued["username"], issued["credential"])

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Received relay addr: 127.0.0.1:55" in output
    sent, received = re.findall(r"tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\n", output)[-1]
    assert int(sent) > 0 and received == sent  # every packet came back from the echo peer
    assert "Total lost packets 0" in output


def test_coturn_refuses_expired_and_forged_credentials(coturn: Turn) -> None:
    expired = turn_credentials(42, SECRET, -60, now=time.time())
    username, _ = turn_credentials(42, SECRET, 600, now=time.time())
    forged = (username, turn_credentials(42, "guessed-secret", 600, now=time.time())[1])
    other_staff = (
        username.replace(":42", ":43"),
        turn_credentials(42, SECRET, 600, time.time())[1],
    )

    for username, password in (expired, forged, other_staff):
        result = coturn.allocate(username, password)
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert "Cannot complete Allocation" in output
        assert "Received relay addr" not in output
