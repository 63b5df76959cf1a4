"""Benchmark: importing a call list of 1,000,000 rows into PostgreSQL.

Generates a CSV of N rows (default 1,000,000: two phone numbers a row in the usual written
forms, six custom fields, 2% invalid numbers, 3% duplicate rows) and a do-not-call file of
1,000,000 numbers (1% of the list's numbers are on it), imports the do-not-call file into a
list, then imports the CSV through the real import service (the same code the worker runs):
streaming, normalisation to E.164 with time zones, deduplication, do-not-call scrubbing, COPY.

Reported: seconds, rows/s, peak memory (VmHWM of the importing process), CPU seconds of the
importer and of its database connection, and ratios against two baselines measured in the same
run: a raw COPY of the same CSV into an unindexed table of text columns (the bytes into the
database, nothing else), and a COPY of the leads and phones the import wrote into the same tables
again, rolled back (what the database alone needs for them: indexes, foreign keys, write-ahead
log). Targets: under 60 s and under 500 MB.

    createdb -h 127.0.0.1 -U postgres dialcrm_bench_import   # once (the script tries too)
    .venv/bin/python bench/list_import.py [--rows 1000000] [--dnc-rows 1000000]
        [--database dialcrm_bench_import] [--repeat 1]

The database is emptied of leads and do-not-call numbers at the start: use one for benchmarks.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from common import prepare_django

FIRST_NAMES = ["Ion", "Maria", "Andrei", "Elena", "Mihai", "Ana", "Dan", "Ioana", "Radu", "Ștefan"]
LAST_NAMES = ["Popescu", "Ionescu", "Popa", "Radu", "Dumitru", "Stan", "Stoica", "Gheorghe"]
CITIES = ["București", "Cluj-Napoca", "Iași", "Timișoara", "Constanța", "Brașov", "Craiova"]
REGIONS = ["B", "CJ", "IS", "TM", "CT", "BV", "DJ"]
INVALID = ["07x1", "0722 12", "n/a", "123", "0000000000"]


MOBILES = 60_000_000  # 072x...077x: every one a valid Romanian mobile number
LANDLINE_AREAS = ("21", "23", "24", "25", "26", "31", "33", "34", "35", "36")


def _spread(index: int, space: int, salt: int) -> int:
    """A different number in [0, space) for each index (a permutation), so that numbers repeat
    only where the benchmark means them to."""
    return (index * 7_654_321 + salt) % space


def _mobile_digits(index: int) -> str:
    spread = _spread(index, MOBILES, 12_345)
    return f"7{2 + spread // 10**7}{spread % 10**7:07d}"


def _mobile(index: int, generator: random.Random) -> str:
    digits = _mobile_digits(index)
    form = generator.random()
    if form < 0.5:
        return f"0{digits[:3]} {digits[3:6]} {digits[6:]}"
    if form < 0.8:
        return f"0{digits}"
    return f"+40 {digits}"


def _landline(index: int) -> str:
    spread = _spread(index, 10 * 10**7, 999)
    return f"0{LANDLINE_AREAS[spread // 10**7]} {spread % 10**7:07d}"


def generate_list(path: Path, rows: int, seed: int = 1) -> list[str]:
    """Write the list CSV; return 1% of its mobile numbers (they go on the DNC list too)."""
    generator = random.Random(seed)
    on_dnc: list[str] = []
    recent: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(
            "external_id;first_name;last_name;email;city;region;phone;phone2;"
            "segment;contract;consumption;tariff;agent_note;source\n"
        )
        lines = []
        for index in range(rows):
            if recent and generator.random() < 0.03:
                phone = generator.choice(recent)  # a duplicate row: an earlier row's number
            elif generator.random() < 0.02:
                phone = generator.choice(INVALID)
            else:
                phone = _mobile(index, generator)
                if len(recent) < 10_000:
                    recent.append(phone)
                else:
                    recent[generator.randrange(10_000)] = phone
                if generator.random() < 0.01:
                    on_dnc.append(f"+40{_mobile_digits(index)}")
            second = generator.choice(INVALID) if generator.random() < 0.02 else _landline(index)
            first = generator.choice(FIRST_NAMES)
            last = generator.choice(LAST_NAMES)
            city = generator.randrange(len(CITIES))
            lines.append(
                f"EXT{index:08d};{first};{last};{first.lower()}.{index}@example.ro;"
                f"{CITIES[city]};{REGIONS[city]};{phone};{second};"
                f"S{index % 7};C-{index:09d};{generator.randint(100, 9999)};"
                f"T{index % 3};note {index % 101};web\n"
            )
            if len(lines) >= 10_000:
                handle.writelines(lines)
                lines.clear()
        handle.writelines(lines)
    return on_dnc


def generate_dnc(path: Path, rows: int, list_rows: int, on_list: list[str]) -> None:
    """A register of `rows` different numbers: some of the list's, the others not in it."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("phone\n")
        handle.writelines(f"{number}\n" for number in on_list)
        lines = []
        for index in range(list_rows, list_rows + rows - len(on_list)):
            lines.append(f"+40{_mobile_digits(index)}\n")
            if len(lines) >= 10_000:
                handle.writelines(lines)
                lines.clear()
        handle.writelines(lines)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _backend_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL backend (when the server runs here)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _reset_peak_memory() -> None:
    """Start measuring peak memory afresh (Linux: clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_memory_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline_copy(path: Path) -> float:
    """Seconds to COPY the raw CSV into an unindexed table of text columns (no processing)."""
    from django.db import connection, transaction

    with path.open("rb") as handle:
        columns = handle.readline().decode().strip().split(";")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_rows")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_raw_rows ("
            + ", ".join(f'"{column}" text' for column in columns)
            + ")"
        )
    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        path.open("rb") as handle,
        cursor.cursor.copy(
            "COPY bench_raw_rows FROM STDIN (FORMAT csv, HEADER true, DELIMITER ';')"
        ) as copy,
    ):
        while block := handle.read(1 << 20):
            copy.write(block)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_raw_rows")
    return seconds


class _RolledBack(Exception):
    pass


def baseline_tables(call_list: object, workdir: Path) -> float:
    """Seconds to COPY the rows the import wrote (leads and phones, already processed) into the
    same tables again, in a transaction rolled back: what the database alone needs."""
    from django.db import connection, transaction

    from dialcrm.campaigns.models import Lead, Phone

    lead_columns = [field.column for field in Lead._meta.concrete_fields]
    phone_columns = [field.column for field in Phone._meta.concrete_fields if field.column != "id"]
    leads_file, phones_file = workdir / "leads.copy", workdir / "phones.copy"
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM campaigns_lead")
        (shift,) = cursor.fetchone()
        leads = ", ".join(f"id + {shift}" if name == "id" else name for name in lead_columns)
        phones = ", ".join(
            f"p.lead_id + {shift}" if name == "lead_id" else f"p.{name}" for name in phone_columns
        )
        for path, sql in (
            (leads_file, f"SELECT {leads} FROM campaigns_lead WHERE call_list_id = %s"),
            (
                phones_file,
                f"SELECT {phones} FROM campaigns_phone p JOIN campaigns_lead l "
                "ON l.id = p.lead_id WHERE l.call_list_id = %s",
            ),
        ):
            with (
                path.open("wb") as handle,
                cursor.cursor.copy(f"COPY ({sql}) TO STDOUT", [call_list.pk]) as copy,
            ):
                for block in copy:
                    handle.write(block)
    started = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for path, table, columns in (
                (leads_file, "campaigns_lead", lead_columns),
                (phones_file, "campaigns_phone", phone_columns),
            ):
                with (
                    path.open("rb") as handle,
                    cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
                ):
                    while block := handle.read(1 << 20):
                        copy.write(block)
            seconds = time.perf_counter() - started
            raise _RolledBack
    except _RolledBack:
        pass
    leads_file.unlink()
    phones_file.unlink()
    return seconds


def _setup(database: str) -> tuple[object, object, object]:
    from django.db import connection

    from dialcrm.campaigns.models import CallList, Client, DncList
    from dialcrm.org.models import Company

    if "bench" not in database:
        sys.exit("The benchmark empties its database: use one whose name says 'bench'.")
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE campaigns_phone, campaigns_lead, campaigns_dncnumber, "
            "campaigns_importjob, campaigns_dncimportjob CASCADE"
        )
    company, _created = Company.objects.get_or_create(name="Benchmark Calls")
    client, _created = Client.objects.get_or_create(company=company, name="Benchmark client")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    call_list = CallList.objects.create(client=client, name=f"Benchmark list {stamp}")
    dnc_list, _created = DncList.objects.get_or_create(company=company, name="National register")
    return call_list, dnc_list, company


def run(args: argparse.Namespace) -> dict[str, object]:
    prepare_django(args.database, redis_db=12)
    from dialcrm.campaigns import dnc, imports
    from dialcrm.campaigns.management.commands.import_leads import Operator
    from dialcrm.campaigns.models import DncImportJob, ImportJob, Lead, Phone
    from dialcrm.core.worker import claim, run_claimed

    call_list, dnc_list, _company = _setup(args.database)
    operator = Operator()
    workdir = Path(tempfile.mkdtemp(prefix="dialcrm-bench-"))
    list_file = workdir / "list.csv"
    dnc_file = workdir / "dnc.csv"
    print(f"Generating {args.rows:,} rows and {args.dnc_rows:,} do-not-call numbers in {workdir}")
    on_dnc = generate_list(list_file, args.rows)
    generate_dnc(dnc_file, args.dnc_rows, args.rows, on_dnc)

    started = time.perf_counter()
    dnc_job = dnc.create_dnc_import(operator, dnc_list, dnc_file, dnc_file.name)
    dnc.start_dnc_import(operator, dnc_job)
    run_claimed(claim(DncImportJob, dnc_job.pk))
    dnc_seconds = time.perf_counter() - started
    dnc_job.refresh_from_db()
    print(f"do-not-call import: {dnc_job.imported:,} numbers in {dnc_seconds:.1f} s")

    baseline = baseline_copy(list_file)
    print(f"baseline (raw COPY, no processing): {baseline:.1f} s")

    mapping = imports.Mapping.from_json(
        {
            "columns": [
                {"column": "external_id", "target": "external_id"},
                {"column": "first_name", "target": "first_name"},
                {"column": "last_name", "target": "last_name"},
                {"column": "email", "target": "email"},
                {"column": "city", "target": "city"},
                {"column": "region", "target": "region"},
                {"column": "phone", "target": "phone", "kind": "mobile", "priority": 1},
                {"column": "phone2", "target": "phone", "kind": "landline", "priority": 2},
                *(
                    {"column": name, "target": "custom", "name": name}
                    for name in (
                        "segment",
                        "contract",
                        "consumption",
                        "tariff",
                        "agent_note",
                        "source",
                    )
                ),
            ]
        }
    )
    options = imports.ImportOptions(dedupe_against="client", dnc_list_ids=(dnc_list.pk,))
    runs = []
    for attempt in range(args.repeat):
        if attempt:  # the same import again, into an emptied list
            _empty_lists()
        runs.append(_measure_import(operator, call_list, list_file, mapping, options))
        print(f"import {attempt + 1}: {runs[-1]['seconds']} s")
    best = min(runs, key=lambda run: run["seconds"])
    job = ImportJob.objects.get(pk=best.pop("job_id"))
    print("measuring the database alone on the rows the import wrote...")
    tables = baseline_tables(call_list, workdir)
    seconds = best["seconds"]
    result = {
        "rows": args.rows,
        **best,
        "all_runs_seconds": [run["seconds"] for run in runs],
        "baseline_raw_copy_seconds": round(baseline, 1),
        "ratio_to_raw_copy": round(seconds / baseline, 1),
        "baseline_tables_copy_seconds": round(tables, 1),
        "ratio_to_tables_copy": round(seconds / tables, 2),
        "dnc_numbers": dnc_job.imported,
        "dnc_import_seconds": round(dnc_seconds, 1),
        "report": {
            "rows_read": job.rows_read,
            "imported": job.imported,
            "duplicates": job.duplicates,
            "invalid": job.invalid,
            "scrubbed": job.scrubbed,
            "warnings": job.warnings,
        },
        "leads_in_list": Lead.objects.filter(call_list=call_list).count(),
        "phones_in_list": Phone.objects.filter(lead__call_list=call_list).count(),
        "targets_met": seconds < 60 and best["peak_rss_mb"] < 500,
    }
    for path in (list_file, dnc_file):
        path.unlink(missing_ok=True)
    workdir.rmdir()
    return result


def _empty_lists() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE campaigns_phone, campaigns_lead CASCADE")
        cursor.execute("UPDATE campaigns_calllist SET version = 0")


def _measure_import(
    operator: object, call_list: object, list_file: Path, mapping: object, options: object
) -> dict[str, object]:
    """One import of the list file, measured: seconds, peak memory, CPU time."""
    from dialcrm.campaigns import imports
    from dialcrm.campaigns.models import ImportJob
    from dialcrm.core.worker import claim, run_claimed

    _reset_peak_memory()
    load_before = os.getloadavg()[0]
    cpu_before, database_before = _cpu_seconds(), _backend_cpu_seconds()
    started = time.perf_counter()
    job = imports.create_import(operator, call_list, list_file, list_file.name)
    imports.start_import(operator, job, mapping, options)
    run_claimed(claim(ImportJob, job.pk))
    seconds = time.perf_counter() - started
    peak = _peak_memory_mb()
    cpu, database = _cpu_seconds() - cpu_before, _backend_cpu_seconds()
    job.refresh_from_db()
    if job.state != "done":
        sys.exit(f"The import failed: {job.error_message}")
    return {
        "job_id": job.pk,
        "seconds": round(seconds, 1),
        "rows_per_second": round(job.rows_read / seconds),
        "peak_rss_mb": round(peak),
        "cpu_seconds_importer": round(cpu, 1),
        "cpu_seconds_database": (
            round(database - database_before, 1)
            if database is not None and database_before is not None
            else None
        ),
        "load_average_before": round(load_before, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dnc-rows", type=int, default=1_000_000)
    parser.add_argument("--database", default="dialcrm_bench_import")
    parser.add_argument(
        "--repeat", type=int, default=1, help="import N times (into the emptied list): the best"
    )
    result = run(parser.parse_args())
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
