"""`make bench`: the production server on PostgreSQL under wrk, beside pgbench's TPC-B.

1. a fresh database with BENCH_USERS people (100,000 by default) and tokens for 10,000;
2. the server as `make serve` runs it (granian, or APP_SERVER=gunicorn), throttling off;
3. wrk at 1, 8, 32 and 64 connections for transfer, balance, search and sign-in;
4. `verify_ledger` on the result;
5. pgbench's built-in TPC-B at scale 10 on the same server at the same client counts;
6. a table, with transfers/s divided by pgbench's TPS.

A report, never a pass/fail: it exits non-zero only when it could not measure.
"""

import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
USERS = int(os.environ.get("BENCH_USERS", "100000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
CLIENTS = [int(c) for c in os.environ.get("BENCH_CLIENTS", "1,8,32,64").split(",")]
SCENARIOS = os.environ.get("BENCH_SCENARIOS", "floor,transfer,balance,search,signin").split(",")
WALLET_DB, PGBENCH_DB = "wallet_bench", "wallet_pgbench"


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def database_url(name: str) -> str:
    return SERVER_URL.rsplit("/", 1)[0] + "/" + name


def psql(sql: str) -> None:
    subprocess.run(["psql", SERVER_URL.replace("postgres://", "postgresql://", 1), "-qc", sql], check=True)


def psql_database(name: str, sql: str) -> None:
    subprocess.run(["psql", database_url(name).replace("postgres://", "postgresql://", 1), "-qc", sql], check=True)


def recreate_database(name: str) -> None:
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True)
    if result.returncode != 0 and args[0] != "verify_ledger":
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return (result.stdout + result.stderr).strip()


def wait_healthy(base_url: str, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not become healthy")


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(app_group: int | None) -> dict:
    """CPU seconds used so far by the app server (its process group) and by PostgreSQL's
    processes, read from /proc. A PostgreSQL backend that has ended (pgbench disconnects)
    is counted in the postmaster's time for its reaped children."""
    totals = {"app": 0.0, "db": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended
        name, fields = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
        group, own, children = int(fields[2]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
        if app_group is not None and group == app_group:
            totals["app"] += own / CLOCK_TICKS
        elif name.startswith("postgres"):
            totals["db"] += (own + children) / CLOCK_TICKS
    return totals


def measured(command: list[str], env: dict | None, app_group: int | None) -> tuple[str, dict]:
    """Run the load generator; return its output and the CPU seconds it, the app server
    and PostgreSQL used meanwhile."""
    before, client_before = server_cpu_seconds(app_group), resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(command, env=env, capture_output=True, text=True).stdout
    after, client_after = server_cpu_seconds(app_group), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {role: after[role] - before[role] for role in before}
    cpu["client"] = (client_after.ru_utime + client_after.ru_stime) - (client_before.ru_utime + client_before.ru_stime)
    return output, cpu


def run_wrk(base_url: str, scenario: str, clients: int, env: dict, app_group: int) -> dict:
    command = [
        "wrk",
        "-t",
        str(min(clients, 2)),
        "-c",
        str(clients),
        "-d",
        f"{SECONDS}s",
        "--timeout",
        "10s",
        "-s",
        str(PROJECT / "bench" / "wrk" / f"{scenario}.lua"),
        base_url,
    ]
    output, cpu = measured(command, env, app_group)
    match = re.search(r"BENCH_JSON (\{.*\})", output)
    if not match:
        raise SystemExit(f"wrk printed no result for {scenario} at {clients}:\n{output}")
    data = json.loads(match.group(1))
    seconds = data["duration_us"] / 1e6
    requests = max(data["requests"], 1)
    return {
        "rps": data["requests"] / seconds,
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": data["socket_errors"] + data["non_2xx"],
        **{f"{role}_cpu_ms": 1000 * used / requests for role, used in cpu.items()},
    }


def run_pgbench(clients: int) -> dict:
    url = database_url(PGBENCH_DB).replace("postgres://", "postgresql://", 1)
    command = ["pgbench", "-n", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(SECONDS), url]
    output, cpu = measured(command, None, None)
    tps = re.search(r"tps = ([\d.]+)", output)
    transactions = re.search(r"number of transactions actually processed: (\d+)", output)
    if not tps or not transactions:
        raise SystemExit(f"pgbench printed no tps:\n{output}")
    count = max(int(transactions.group(1)), 1)
    return {
        "tps": float(tps.group(1)),
        "db_cpu_ms": 1000 * cpu["db"] / count,
        "client_cpu_ms": 1000 * cpu["client"] / count,
    }


def main() -> int:
    for tool, package in [("wrk", "wrk"), ("pgbench", "postgresql-client"), ("psql", "postgresql-client")]:
        if shutil.which(tool) is None:
            print(f"{tool} is missing: apt-get install {package}", file=sys.stderr)
            return 2
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="wallet-bench-"))
    people_file = workdir / "people.txt"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(WALLET_DB),
        "AUTH_THROTTLE_RATE": "off",
        "MONEY_REQUEST_RATE": "off",
        "DEBUG": "0",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "LOCAL_SECRETS_FILE": str(workdir / "secrets.json"),
        "BENCH_PEOPLE": str(people_file),
        "BENCH_WRK_DIR": str(PROJECT / "bench" / "wrk"),
    }

    log(f"creating {WALLET_DB} with {USERS} people")
    recreate_database(WALLET_DB)
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    seeded = time.monotonic()
    manage(env, "bench_seed", "--users", str(USERS), "--out", str(people_file))
    seeding_seconds = time.monotonic() - seeded
    log(f"seeded in {seeding_seconds:.0f}s")
    # What autovacuum would have done by now: statistics, and GIN pending lists merged.
    psql_database(WALLET_DB, "VACUUM ANALYZE")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")

    with open(workdir / "server.log", "w") as server_log:  # the server keeps its own copy of the handle
        server = subprocess.Popen(
            [PYTHON, "-m", "paytm_site.serve"],  # as `make serve` runs it (APP_SERVER picks the server)
            cwd=PROJECT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=server_log,
            start_new_session=True,  # its own process group: how its CPU time is found in /proc
        )
    base_url = f"http://127.0.0.1:{port}"
    results = {}
    try:
        wait_healthy(base_url, server)
        run_wrk(base_url, "balance", 8, env, server.pid)  # warm up connections and caches
        for scenario in SCENARIOS:
            for clients in CLIENTS:
                results[(scenario, clients)] = run_wrk(base_url, scenario, clients, env, server.pid)
                r = results[(scenario, clients)]
                log(
                    f"{scenario:<8} c={clients:<3} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.1f} ms  "
                    f"p99 {r['p99_ms']:7.1f} ms  errors {r['errors']}"
                )
    finally:
        server.terminate()
        server.wait(timeout=20)

    ledger = manage(env, "verify_ledger")

    log("pgbench TPC-B, scale 10")
    recreate_database(PGBENCH_DB)
    subprocess.run(
        ["pgbench", "-i", "-q", "-s", "10", database_url(PGBENCH_DB).replace("postgres://", "postgresql://", 1)],
        check=True,
        capture_output=True,
    )
    pgbench = {clients: run_pgbench(clients) for clients in CLIENTS}

    (PROJECT / "var").mkdir(exist_ok=True)
    reference = load_reference()
    save_figures(results, pgbench)
    report = format_report(results, pgbench, ledger, time.monotonic() - started, seeding_seconds, reference)
    print(report)
    (PROJECT / "var" / "bench-latest.txt").write_text(report)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


REFERENCE_USERS = 100_000  # the growth target compares a run at BENCH_USERS with one at this size


def figures_file(users: int) -> Path:
    return PROJECT / "var" / f"bench-{users}.json"


def save_figures(results: dict, pgbench: dict) -> None:
    """This run's figures, for a later run at another BENCH_USERS to compare itself with."""
    figures = {
        "results": {f"{scenario} {clients}": r for (scenario, clients), r in results.items()},
        "pgbench": {str(clients): b for clients, b in pgbench.items()},
    }
    figures_file(USERS).write_text(json.dumps(figures, indent=1))


def load_reference() -> dict | None:
    """The latest run at REFERENCE_USERS people (var/), when this run is at another size."""
    path = figures_file(REFERENCE_USERS)
    if USERS == REFERENCE_USERS or not path.exists():
        return None
    return json.loads(path.read_text())["results"]


def beyond_the_floor(results: dict, clients: int = 32) -> list[str]:
    """What each scenario's request costs beyond the floor (GET /healthz through the same
    server, middleware, logs and metrics, one SELECT): the part its own view, authentication
    and statements add, which is all that work on that scenario can still save."""
    floor = results.get(("floor", clients))
    if floor is None:
        return []
    lines = [
        "",
        f"Beyond the floor (GET /healthz at {clients} clients: {floor['app_cpu_ms']:.2f} ms app CPU, "
        f"{floor['db_cpu_ms']:.2f} ms db CPU per request):",
        "",
        "| scenario  | app CPU | beyond the floor | db CPU | beyond the floor |",
        "|-----------|---------|------------------|--------|------------------|",
    ]
    for (scenario, at), r in results.items():
        if at == clients and scenario != "floor":
            lines.append(
                f"| {scenario:<9} | {r['app_cpu_ms']:>7.2f} | {r['app_cpu_ms'] - floor['app_cpu_ms']:>16.2f} | "
                f"{r['db_cpu_ms']:>6.2f} | {r['db_cpu_ms'] - floor['db_cpu_ms']:>16.2f} |"
            )
    return lines


def targets(results: dict, pgbench: dict, ledger: str, reference: dict | None) -> list[tuple[str, str, bool | None]]:
    """Issue 19's targets beside this run's figures: (target, figure, met); met is None when
    this run did not measure it (a scenario or client count left out)."""
    rows = []

    def figure(scenario, clients, key):
        return results.get((scenario, clients), {}).get(key)

    def add(target, value, limit, compare, unit="ms", digits=2):
        if value is None or limit is None:
            rows.append((target, "not measured", None))
        else:
            rows.append((target, f"{value:.{digits}f} {unit} (limit {limit:.{digits}f})", compare(value, limit)))

    at_most, at_least = (lambda v, limit: v <= limit), (lambda v, limit: v >= limit)
    add("app CPU per transfer <= 1.2 ms (32 clients)", figure("transfer", 32, "app_cpu_ms"), 1.2, at_most)
    add("app CPU per balance read <= 0.6 ms (32 clients)", figure("balance", 32, "app_cpu_ms"), 0.6, at_most)
    tpcb = pgbench.get(32, {}).get("db_cpu_ms")
    add(
        "db CPU per transfer <= 1.1 x TPC-B's (32 clients)",
        figure("transfer", 32, "db_cpu_ms"),
        None if tpcb is None else 1.1 * tpcb,
        at_most,
    )
    tps = pgbench.get(32, {}).get("tps")
    add(
        "transfers/s >= 0.35 x pgbench TPS (32 clients)",
        figure("transfer", 32, "rps"),
        None if tps is None else 0.35 * tps,
        at_least,
        unit="/s",
        digits=1,
    )
    add("transfer p99 <= 50 ms (32 clients)", figure("transfer", 32, "p99_ms"), 50.0, at_most, digits=1)
    transfers = figure("transfer", 32, "rps")
    add(
        "balances/s >= 2 x transfers/s (32 clients)",
        figure("balance", 32, "rps"),
        None if transfers is None else 2 * transfers,
        at_least,
        unit="/s",
        digits=1,
    )
    add(f"search p99 <= 30 ms among {USERS} people (8 clients)", figure("search", 8, "p99_ms"), 30.0, at_most, digits=1)
    add("search p99 <= 30 ms (1 client)", figure("search", 1, "p99_ms"), 30.0, at_most, digits=1)
    add("sign-ins/s >= 5 x 4/s (8 clients)", figure("signin", 8, "rps"), 20.0, at_least, unit="/s", digits=1)
    add("sign-in p99 <= 500 ms (8 clients)", figure("signin", 8, "p99_ms"), 500.0, at_most, digits=1)
    errors = sum(r["errors"] for r in results.values())
    rows.append(("no errors", f"{errors} errors", errors == 0))
    rows.append(("verify_ledger OK", ledger.splitlines()[-1] if ledger else "(no output)", "ledger OK" in ledger))
    if reference is not None:  # growth: this size against the reference size's latest run
        for scenario, key in [("transfer", "rps"), ("transfer", "p99_ms"), ("balance", "rps"), ("balance", "p99_ms")]:
            for clients in (1, 32):
                then, now = reference.get(f"{scenario} {clients}", {}).get(key), figure(scenario, clients, key)
                target = f"{scenario} {key} within 10% of {REFERENCE_USERS} people's ({clients} clients)"
                if then is None or now is None:
                    rows.append((target, "not measured", None))
                else:
                    change = now / then - 1
                    worse = -change if key == "rps" else change
                    rows.append((target, f"{now:.1f} against {then:.1f} ({change:+.0%})", worse <= 0.10))
    return rows


def format_report(
    results: dict, pgbench: dict, ledger: str, elapsed: float, seeding: float, reference: dict | None
) -> str:
    workers = os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() + 1))
    threads = os.environ.get("WEB_THREADS", "2")
    server = os.environ.get("APP_SERVER", "granian")
    lines = [
        "",
        f"Wallet benchmark: {USERS} people, {SECONDS}s per run, {server} {workers} workers x {threads} threads, "
        f"Python {platform.python_version()}, PostgreSQL, wrk on the same {multiprocessing.cpu_count()} cores",
        "CPU columns: milliseconds of CPU per request spent in the app server, in PostgreSQL and in wrk.",
        "",
        "| scenario  | clients |     req/s |   p50 ms |   p99 ms | errors | app CPU | db CPU | wrk CPU |",
        "|-----------|---------|-----------|----------|----------|--------|---------|--------|---------|",
    ]
    for (scenario, clients), r in results.items():
        lines.append(
            f"| {scenario:<9} | {clients:>7} | {r['rps']:>9.1f} | {r['p50_ms']:>8.1f} | {r['p99_ms']:>8.1f} | "
            f"{r['errors']:>6} | {r['app_cpu_ms']:>7.2f} | {r['db_cpu_ms']:>6.2f} | {r['client_cpu_ms']:>7.2f} |"
        )
    lines += [
        "",
        "pgbench's TPC-B beside the transfers (CPU per transaction, PostgreSQL and pgbench itself):",
        "",
        "| clients | pgbench TPS | db CPU | pgbench CPU | transfers/s | ratio |",
        "|---------|-------------|--------|-------------|-------------|-------|",
    ]
    for clients, bench in pgbench.items():
        transfers = results.get(("transfer", clients), {}).get("rps", 0.0)
        lines.append(
            f"| {clients:>7} | {bench['tps']:>11.1f} | {bench['db_cpu_ms']:>6.2f} | {bench['client_cpu_ms']:>11.2f} | "
            f"{transfers:>11.1f} | {transfers / bench['tps']:>5.2f} |"
        )
    lines += beyond_the_floor(results)
    lines += [
        "",
        "Targets (issue 19), each beside this run's figure:",
        "",
        "| target | figure | met |",
        "|--------|--------|-----|",
    ]
    for target, figure, met in targets(results, pgbench, ledger, reference):
        lines.append(f"| {target} | {figure} | {'-' if met is None else 'yes' if met else 'NO'} |")
    lines += [
        "",
        f"verify_ledger: {ledger.splitlines()[-1] if ledger else '(no output)'}",
        f"seeding {USERS} people: {seeding:.0f}s; total time: {elapsed:.0f}s",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
