"""`make bench`: the production server on PostgreSQL under wrk, beside pgbench's TPC-B.

1. a fresh database with BENCH_USERS people (100,000 by default) and tokens for 10,000;
2. gunicorn as `make serve` runs it, throttling off;
3. wrk at 1, 8, 32 and 64 connections for transfer, balance, search and sign-in;
4. `verify_ledger` on the result;
5. pgbench's built-in TPC-B at scale 10 on the same server at the same client counts;
6. a table, with transfers/s divided by pgbench's TPS.

A report, never a pass/fail: it exits non-zero only when it could not measure.
"""

import json
import os
import re
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
SCENARIOS = os.environ.get("BENCH_SCENARIOS", "transfer,balance,search,signin").split(",")
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


def run_wrk(base_url: str, scenario: str, clients: int, env: dict) -> dict:
    command = [
        "wrk", "-t", str(min(clients, 2)), "-c", str(clients), "-d", f"{SECONDS}s", "--timeout", "10s",
        "-s", str(PROJECT / "bench" / "wrk" / f"{scenario}.lua"), base_url,
    ]
    output = subprocess.run(command, env=env, capture_output=True, text=True).stdout
    match = re.search(r"BENCH_JSON (\{.*\})", output)
    if not match:
        raise SystemExit(f"wrk printed no result for {scenario} at {clients}:\n{output}")
    data = json.loads(match.group(1))
    seconds = data["duration_us"] / 1e6
    return {
        "rps": data["requests"] / seconds,
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": data["socket_errors"] + data["non_2xx"],
    }


def run_pgbench(clients: int) -> float:
    url = database_url(PGBENCH_DB).replace("postgres://", "postgresql://", 1)
    command = ["pgbench", "-n", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(SECONDS), url]
    output = subprocess.run(command, capture_output=True, text=True).stdout
    match = re.search(r"tps = ([\d.]+)", output)
    if not match:
        raise SystemExit(f"pgbench printed no tps:\n{output}")
    return float(match.group(1))


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
    log(f"seeded in {time.monotonic() - seeded:.0f}s")
    # What autovacuum would have done by now: statistics, and GIN pending lists merged.
    psql_database(WALLET_DB, "VACUUM ANALYZE")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")

    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "--config", "paytm_site/gunicorn.conf.py", "paytm_site.wsgi:application"],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=open(workdir / "server.log", "w"),
    )
    base_url = f"http://127.0.0.1:{port}"
    results = {}
    try:
        wait_healthy(base_url, server)
        run_wrk(base_url, "balance", 8, env)  # warm up connections and caches
        for scenario in SCENARIOS:
            for clients in CLIENTS:
                results[(scenario, clients)] = run_wrk(base_url, scenario, clients, env)
                r = results[(scenario, clients)]
                log(f"{scenario:<8} c={clients:<3} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.1f} ms  "
                    f"p99 {r['p99_ms']:7.1f} ms  errors {r['errors']}")
    finally:
        server.terminate()
        server.wait(timeout=20)

    ledger = manage(env, "verify_ledger")

    log("pgbench TPC-B, scale 10")
    recreate_database(PGBENCH_DB)
    subprocess.run(
        ["pgbench", "-i", "-q", "-s", "10", database_url(PGBENCH_DB).replace("postgres://", "postgresql://", 1)],
        check=True, capture_output=True,
    )
    pgbench = {clients: run_pgbench(clients) for clients in CLIENTS}

    report = format_report(results, pgbench, ledger, time.monotonic() - started)
    print(report)
    (PROJECT / "var").mkdir(exist_ok=True)
    (PROJECT / "var" / "bench-latest.txt").write_text(report)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def format_report(results: dict, pgbench: dict, ledger: str, elapsed: float) -> str:
    lines = [
        "",
        f"Wallet benchmark: {USERS} people, {SECONDS}s per run, gunicorn "
        f"{os.environ.get('WEB_CONCURRENCY', 'cpu*2+1')} workers, PostgreSQL, wrk on the same machine",
        "",
        f"| {'scenario':<9} | {'clients':>7} | {'req/s':>9} | {'p50 ms':>8} | {'p99 ms':>8} | {'errors':>6} |",
        f"|{'-' * 11}|{'-' * 9}|{'-' * 11}|{'-' * 10}|{'-' * 10}|{'-' * 8}|",
    ]
    for (scenario, clients), r in results.items():
        lines.append(
            f"| {scenario:<9} | {clients:>7} | {r['rps']:>9.1f} | {r['p50_ms']:>8.1f} | {r['p99_ms']:>8.1f} | {r['errors']:>6} |"
        )
    lines += ["", f"| {'clients':>7} | {'pgbench TPS':>11} | {'transfers/s':>11} | {'ratio':>6} |", f"|{'-' * 9}|{'-' * 13}|{'-' * 13}|{'-' * 8}|"]
    for clients, tps in pgbench.items():
        transfers = results.get(("transfer", clients), {}).get("rps", 0.0)
        lines.append(f"| {clients:>7} | {tps:>11.1f} | {transfers:>11.1f} | {transfers / tps:>6.2f} |")
    lines += ["", f"verify_ledger: {ledger.splitlines()[-1] if ledger else '(no output)'}", f"total time: {elapsed:.0f}s", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
