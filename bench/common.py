"""What the benchmark scripts share: a benchmark database and Django set up against it, timing
of repeated runs, percentiles and their report lines, and a web server started for the run.

Imported by the scripts as `common` (they run as `.venv/bin/python bench/<name>.py`, so this
folder is on the path).
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def postgres(
    command: str, *arguments: str, check: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """A PostgreSQL client command (createdb, dropdb) against the local server as postgres."""
    return subprocess.run(
        [command, "-h", "127.0.0.1", "-U", "postgres", *arguments], capture_output=True, check=check
    )


def django_environment(database: str, redis_db: int) -> None:
    """The settings' environment for a benchmark database (REDIS_URL only if not set)."""
    os.environ["DIALCRM_ENV"] = "test"
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ.setdefault("REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "dialcrm.settings"


def setup_django(migrate: bool = True) -> None:
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def prepare_django(database: str, *, redis_db: int, fresh: bool = False) -> None:
    """Django against the benchmark database, migrated. `fresh`: the database dropped and
    created anew (its creation must succeed); otherwise created if missing and kept."""
    django_environment(database, redis_db)
    if fresh:
        postgres("dropdb", "--if-exists", database)
        postgres("createdb", database, check=True)
    else:
        postgres("createdb", database)
    setup_django()


def company_with_teams(
    name: str, locations: int, teams_per_location: int
) -> tuple[Any, list[Any], list[Any], Any]:
    """A company with its locations ("Floor n") of teams each, and a client: the company,
    locations, teams (location by location) and client."""
    from dialcrm.campaigns.models import Client
    from dialcrm.org.models import Company, Location, Team

    company = Company.objects.create(name=name)
    floors = [Location.objects.create(company=company, name=f"Floor {n}") for n in range(locations)]
    teams = [
        Team.objects.create(location=location, name=f"{location.name} team {n}")
        for location in floors
        for n in range(teams_per_location)
    ]
    client = Client.objects.create(company=company, name="Bench client")
    return company, floors, teams, client


def create_agents(
    company: Any, teams: list[Any], count: int, level: Callable[[int], str] = lambda _n: "senior"
) -> None:
    """`count` agents bench.agent0000..., dealt round the teams in turn (bulk)."""
    from dialcrm.core.choices import Role
    from dialcrm.org.models import Staff

    Staff.objects.bulk_create(
        Staff(
            username=f"bench.agent{n:04d}",
            password="!",
            company=company,
            location=teams[n % len(teams)].location,
            team=teams[n % len(teams)],
            role=Role.AGENT,
            level=level(n),
        )
        for n in range(count)
    )


def create_location_manager(company: Any, location: Any) -> Any:
    from dialcrm.core.choices import Role
    from dialcrm.org.models import Staff

    return Staff.objects.create(
        username="bench.floor0",
        password="!",
        company=company,
        location=location,
        role=Role.LOCATION_MANAGER,
    )


def samples_ms(run: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds of each of `repeat` runs."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def time_ms(label: str, run: Callable[[], object], repeat: int) -> tuple[str, float, float]:
    """The median and worst milliseconds of `repeat` runs, after one run to warm the caches and
    the connection, as a screen in use would have them."""
    run()
    samples = samples_ms(run, repeat)
    return label, statistics.median(samples), max(samples)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def latency_line(name: str, values: list[float], *, empty: str, digits: int) -> str:
    """n, p50, p90, p99 and max in milliseconds, `digits` decimals; `empty` if no values."""
    if not values:
        return f"{name}: {empty}"
    return (
        f"{name}: n={len(values)}  p50 {statistics.median(values):.{digits}f} ms  "
        f"p90 {percentile(values, 0.9):.{digits}f} ms  "
        f"p99 {percentile(values, 0.99):.{digits}f} ms  "
        f"max {max(values):.{digits}f} ms"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_uvicorn(application: str, port: int, **environ: str) -> subprocess.Popen[bytes]:
    """The ASGI application served by uvicorn on 127.0.0.1:port, in the project's folder."""
    path = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)]))
    env = {**os.environ, **environ, "PYTHONPATH": path, "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            application,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "on",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )


async def wait_until_up(url: str, server: str) -> None:
    """Until the sign-in page answers (30 s at most); `server` names it if it never does."""
    import httpx

    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(150):
            try:
                if (await client.get(f"{url}/sign-in/")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"the {server} did not start")


def stop_server(server: subprocess.Popen[Any]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
