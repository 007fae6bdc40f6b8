"""Load test: many signed-in users on a real ``tocsin serve`` over loopback.

Starts ``tocsin serve --demo`` as a subprocess on 127.0.0.1 (a fresh data folder; the
embedded SQLite default, or PostgreSQL with ``--database-url``), signs in ``--users``
virtual users spread over the demo roles, and lets each one browse for ``--minutes``
on a realistic mix: lists, detail pages, search, API reads, a coherence page, a
transaction set's network page and graph, and one upload per minute across all users.
Every user waits a random 1-5 s between requests, as a person does.

It prints requests, errors, latency percentiles, the server's resident memory at the
start and the end, and how ``/healthz`` answered during and after the run::

    python bench/load.py --users 50 --minutes 10
    python bench/load.py --users 50 --minutes 10 --database-url postgresql://postgres@127.0.0.1/load

Bounded: loopback only, at most 500 users and 60 minutes, 30 s per request.
Exit status 1 when any request failed or ``/healthz`` stopped answering.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
MAX_USERS = 500
MAX_MINUTES = 60
REQUEST_TIMEOUT = 30.0
THINK_SECONDS = (1.0, 5.0)
#: Below uvicorn's keep-alive timeout (5 s).
KEEPALIVE_SECONDS = 3.0
#: Users sign in spread over this many seconds at the start.
RAMP_SECONDS = 15.0
#: Demo accounts the virtual users sign in as (several users may share an account;
#: each keeps its own session).
ACCOUNTS = ["analyst", "coordinator", "fundmanager", "partner", "admin"]
SEARCH_TERMS = ["trafficking", "cyber", "firearms", "money laundering", "border",
                "training", "drugs", "corruption", "Tidewater", "migrant"]


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    uploads: int = 0
    health: list[float] = field(default_factory=list)
    health_failures: int = 0
    slowest: list[tuple[float, str, str]] = field(default_factory=list)
    #: latencies per route (the path with ids and the query left out)
    by_route: dict[str, list[float]] = field(default_factory=dict)


@dataclass
class Targets:
    """Ids discovered once after start-up, so requests hit real records."""

    programmes: list[int]
    commitments: list[int]
    lessons: list[int]
    partners: list[int]
    events: list[int]
    sets: list[int]
    #: (set id, account id) pairs for network pages and graphs
    accounts: list[tuple[int, str]]


def route_of(path: str) -> str:
    """``/programmes/12?x=1`` → ``/programmes/{id}``: latencies are grouped by route."""
    return re.sub(r"/\d+(?=/|$)", "/{id}", path.split("?", 1)[0])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def rss_bytes(pid: int) -> int:
    """Resident memory of the server process (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def amlworld_csv(rows: int, seed: int) -> bytes:
    """A small AMLworld-format transaction file for the uploads."""
    rnd = random.Random(seed)
    lines = ["Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
             "Amount Paid,Payment Currency,Payment Format,Is Laundering"]
    accounts = [f"80{rnd.randrange(16**6):06X}" for _ in range(40)]
    for i in range(rows):
        a, b = rnd.sample(accounts, 2)
        amount = f"{rnd.uniform(10, 20000):.2f}"
        lines.append(f"2022/09/{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d},010,{a},020,{b},"
                     f"{amount},Euro,{amount},Euro,Wire,0")
    return ("\n".join(lines) + "\n").encode()


class Server:
    """``tocsin serve --demo`` in a subprocess with its own data folder."""

    def __init__(self, data_dir: Path, port: int, database_url: str | None) -> None:
        env = dict(os.environ)
        env.update({"TOCSIN_DATA_DIR": str(data_dir), "TOCSIN_DEMO": "true",
                    "TOCSIN_COOKIE_SECURE": "false", "TOCSIN_ACCESS_LOG": "off"})
        if database_url:
            env["TOCSIN_DATABASE_URL"] = database_url
        else:
            env.pop("TOCSIN_DATABASE_URL", None)
        self.data_dir = data_dir
        self.base = f"http://{HOST}:{port}"
        self.log = open(  # noqa: SIM115 - closed in stop()
            Path(tempfile.gettempdir()) / f"tocsin-load-server-{os.getpid()}.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tocsin.cli.main", "serve", "--demo", "--host", HOST,
             "--port", str(port)], env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited with {self.process.returncode}; "
                                 f"see {self.log.name}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise SystemExit("the server did not answer /healthz in time")

    def credentials(self) -> dict[str, str]:
        found: dict[str, str] = json.loads((self.data_dir / "demo-credentials.json").read_text())
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class SignInFailed(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> str:
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if token is None:
        raise SystemExit("the login page has no CSRF token")
    answer = await client.post("/login", data={"username": username, "password": password,
                                               "csrf_token": token.group(1), "next": "/"})
    if answer.status_code != 303:
        raise SignInFailed(answer.status_code, f"signing in as {username} failed: "
                                               f"{answer.status_code} {answer.text[:200]}")
    me = await client.get("/api/v1/me")
    return str(me.json().get("csrf_token", "")) or _csrf_from_page((await client.get("/")).text)


def _csrf_from_page(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    return found.group(1) if found else ""


def _ids(items: Any, key: str = "id") -> list[Any]:
    if isinstance(items, dict):
        for name in ("items", "results", "sets", "activities"):
            if isinstance(items.get(name), list):
                items = items[name]
                break
    if not isinstance(items, list):
        return []
    return [item[key] for item in items if isinstance(item, dict) and key in item][:50]


async def discover(client: httpx.AsyncClient) -> Targets:
    async def ids(path: str) -> list[Any]:
        answer = await client.get(path)
        return _ids(answer.json()) if answer.status_code == 200 else []

    sets = await ids("/api/v1/investigations/sets")
    accounts: list[tuple[int, str]] = []
    deadline = time.monotonic() + 300  # the demo set is imported by a background job
    while sets and not accounts and time.monotonic() < deadline:
        for set_id in sets[:3]:
            for letter in "01ae":  # the busiest accounts whose id, bank or holder has it
                answer = await client.get(f"/api/v1/investigations/sets/{set_id}/accounts",
                                          params={"q": letter})
                if answer.status_code == 200:
                    accounts += [(set_id, a) for a in _ids(answer.json(), "account_id")[:5]]
        if not accounts:
            await asyncio.sleep(2)
    return Targets(
        programmes=await ids("/api/v1/programmes"),
        commitments=await ids("/api/v1/commitments"),
        lessons=await ids("/api/v1/lessons"),
        partners=await ids("/api/v1/partners"),
        events=await ids("/api/v1/events"),
        sets=sets,
        accounts=accounts,
    )


def mix(targets: Targets) -> list[tuple[int, str, Any]]:
    """(weight, kind, path or a function of the random generator giving a path)."""
    def pick(values: list[Any], pattern: str) -> Any:
        return lambda rnd: pattern.format(rnd.choice(values)) if values else None

    return [
        (10, "list", lambda rnd: rnd.choice(["/programmes", "/commitments", "/lessons",
                                             "/partners", "/events", "/experts",
                                             "/investigations", "/framework/crime-areas"])),
        (4, "home", "/"),
        (8, "detail", pick(targets.programmes, "/programmes/{}")),
        (3, "detail", pick(targets.commitments, "/commitments/{}")),
        (3, "detail", pick(targets.lessons, "/lessons/{}")),
        (3, "detail", pick(targets.partners, "/partners/{}")),
        (2, "detail", pick(targets.events, "/events/{}")),
        (8, "search", lambda rnd: f"/search?q={rnd.choice(SEARCH_TERMS)}"),
        (3, "api-search", lambda rnd: f"/api/v1/search?q={rnd.choice(SEARCH_TERMS)}"),
        (6, "api", lambda rnd: rnd.choice(["/api/v1/programmes", "/api/v1/commitments",
                                           "/api/v1/partners", "/api/v1/lessons",
                                           "/api/v1/framework/crime-areas",
                                           "/api/v1/investigations/sets", "/api/v1/me"])),
        (4, "api-detail", pick(targets.programmes, "/api/v1/programmes/{}")),
        (4, "coherence", lambda rnd: rnd.choice(["/coherence", "/coherence/coverage",
                                                 "/coherence/gaps",
                                                 "/coherence/recommendations"])),
        (3, "network", lambda rnd: "/investigations/sets/{}?account={}".format(
            *rnd.choice(targets.accounts)) if targets.accounts else None),
        (3, "graph", lambda rnd: "/api/v1/investigations/sets/{}/graph?account={}".format(
            *rnd.choice(targets.accounts)) if targets.accounts else None),
    ]


def every_path(targets: Targets) -> list[str]:
    """One request of each kind, for the warm-up before memory is measured."""
    rnd = random.Random(0)
    paths = []
    for _, _, target in mix(targets):
        for _ in range(3):
            path = target(rnd) if callable(target) else target
            if path:
                paths.append(path)
    return paths


async def user_loop(n: int, base: str, username: str, password: str, targets: Targets,
                    stop_at: float, stats: Stats, upload_turn: asyncio.Queue[int],
                    upload: bytes, ramp: float = 0.0) -> None:
    rnd = random.Random(n)
    choices = mix(targets)
    weights = [w for w, _, _ in choices]
    # idle connections are dropped before the server's 5 s keep-alive timeout closes them,
    # as browsers do, so a request never races the server closing its connection
    limits = httpx.Limits(max_connections=2, keepalive_expiry=KEEPALIVE_SECONDS)
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, limits=limits,
                                 follow_redirects=False) as client:
        await asyncio.sleep(ramp)  # people arrive over a few seconds, not in the same instant
        csrf = ""
        while not csrf and time.monotonic() < stop_at:
            started = time.monotonic()
            try:
                csrf = await sign_in(client, username, password)
            except SignInFailed as exc:  # counted as an error; a person would try again
                stats.errors[f"login {exc.status}"] += 1
                await asyncio.sleep(2)
            except httpx.HTTPError as exc:
                stats.errors[f"login {type(exc).__name__}"] += 1
                await asyncio.sleep(2)
            stats.latencies.append(time.monotonic() - started)
            stats.by_route.setdefault("login", []).append(stats.latencies[-1])
            stats.by_kind["login"] += 1
        await asyncio.sleep(rnd.uniform(*THINK_SECONDS))
        while time.monotonic() < stop_at:
            started = time.monotonic()
            kind, path = "?", ""
            try:
                if not upload_turn.empty() and username in ("analyst", "coordinator", "admin"):
                    upload_turn.get_nowait()
                    kind = "upload"
                    answer = await client.post(
                        "/api/v1/investigations/sets", headers={"X-CSRF-Token": csrf},
                        data={"format": "amlworld", "name": f"Load test upload {n}",
                              "handling": "GREEN", "unit": "tntd-spmu"},
                        files={"file": ("transactions.csv", upload, "text/csv")})
                    ok = answer.status_code == 202
                    stats.uploads += ok
                else:
                    _, kind, target = rnd.choices(choices, weights)[0]
                    path = target(rnd) if callable(target) else target
                    if path is None:
                        continue
                    answer = await client.get(path)
                    ok = answer.status_code == 200
                stats.by_kind[kind] += 1
                if not ok:
                    stats.errors[f"{kind} {answer.status_code}"] += 1
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except (httpx.HTTPError, asyncio.TimeoutError, IndexError) as exc:  # noqa: UP041
                stats.errors[f"{kind} {type(exc).__name__}"] += 1
            took = time.monotonic() - started
            stats.latencies.append(took)
            stats.by_route.setdefault("upload" if kind == "upload" else route_of(path),
                                      []).append(took)
            stats.slowest.append((took, kind, path if kind != "upload" else "upload"))
            stats.slowest = sorted(stats.slowest, reverse=True)[:8]
            await asyncio.sleep(rnd.uniform(*THINK_SECONDS))


async def health_probe(base: str, stop: asyncio.Event, stats: Stats) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        while not stop.is_set():
            started = time.monotonic()
            try:
                ok = (await client.get("/healthz")).status_code == 200
            except httpx.HTTPError:
                ok = False
            stats.health.append(time.monotonic() - started)
            stats.health_failures += not ok
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 5)


async def upload_clock(stop_at: float, turns: asyncio.Queue[int]) -> None:
    """One upload per minute across all users (the first after 30 s)."""
    await asyncio.sleep(30)
    minute = 0
    while time.monotonic() < stop_at:
        await turns.put(minute)
        minute += 1
        await asyncio.sleep(60)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def route_table(by_route: dict[str, list[float]]) -> dict[str, str]:
    """Per route: requests, p50 / p95 / max in ms, the routes with the most time first."""
    ordered = sorted(by_route.items(), key=lambda item: -sum(item[1]))
    return {route: f"n={len(values)} p50={round(percentile(values, 50) * 1000)} "
                   f"p95={round(percentile(values, 95) * 1000)} "
                   f"max={round(max(values) * 1000)} ms"
            for route, values in ordered}


async def run_load(server: Server, users: int, seconds: float) -> tuple[Stats, dict[str, Any]]:
    credentials = server.credentials()
    stats = Stats()
    targets: dict[str, Targets] = {}
    for account in ACCOUNTS:  # what each role may see, then one warm-up pass of every kind
        async with httpx.AsyncClient(base_url=server.base, timeout=REQUEST_TIMEOUT) as first:
            await sign_in(first, account, credentials[account])
            targets[account] = await discover(first)
            for path in every_path(targets[account]):
                await first.get(path)
    rss_start = rss_bytes(server.process.pid)
    stop_at = time.monotonic() + seconds
    stop = asyncio.Event()
    turns: asyncio.Queue[int] = asyncio.Queue()
    upload = amlworld_csv(300, seed=7)
    probe = asyncio.create_task(health_probe(server.base, stop, stats))
    clock = asyncio.create_task(upload_clock(stop_at, turns))
    started = time.monotonic()
    await asyncio.gather(*(
        user_loop(n, server.base, ACCOUNTS[n % len(ACCOUNTS)],
                  credentials[ACCOUNTS[n % len(ACCOUNTS)]], targets[ACCOUNTS[n % len(ACCOUNTS)]],
                  stop_at, stats, turns, upload, ramp=n * RAMP_SECONDS / users)
        for n in range(users)))
    elapsed = time.monotonic() - started
    clock.cancel()
    stop.set()
    await probe
    rss_end = rss_bytes(server.process.pid)
    after_ok = False
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as client:
        for _ in range(3):
            after_ok = (await client.get("/healthz")).status_code == 200
            await asyncio.sleep(1)
    summary = {
        "users": users, "seconds": round(elapsed),
        "requests": len(stats.latencies), "errors": sum(stats.errors.values()),
        "busy_503": sum(n for kind, n in stats.errors.items() if kind.endswith(" 503")),
        "server_errors": sum(n for kind, n in stats.errors.items()
                             if kind.split()[-1].startswith("5") and not kind.endswith(" 503")),
        "transport_errors": sum(n for kind, n in stats.errors.items()
                                if not kind.split()[-1].isdigit()),
        "error_kinds": dict(stats.errors), "uploads": stats.uploads,
        "p50_ms": round(percentile(stats.latencies, 50) * 1000),
        "p95_ms": round(percentile(stats.latencies, 95) * 1000),
        "p99_ms": round(percentile(stats.latencies, 99) * 1000),
        "max_ms": round(max(stats.latencies, default=0) * 1000),
        "mean_ms": round(statistics.fmean(stats.latencies) * 1000) if stats.latencies else 0,
        "rss_start_mb": round(rss_start / 2**20, 1), "rss_end_mb": round(rss_end / 2**20, 1),
        "rss_change_pct": round((rss_end - rss_start) / rss_start * 100, 1) if rss_start else 0,
        "healthz_during": f"{len(stats.health) - stats.health_failures}/{len(stats.health)} ok, "
                          f"max {round(max(stats.health, default=0) * 1000)} ms",
        "healthz_after": "ok" if after_ok else "FAILED",
        "by_kind": dict(stats.by_kind),
        "slowest": [f"{round(t * 1000)} ms {path}" for t, _kind, path in stats.slowest[:5]],
        "routes": route_table(stats.by_route),
    }
    return stats, summary


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL of an empty database (default: embedded SQLite)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON only")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= MAX_USERS:
        parser.error(f"--users must be between 1 and {MAX_USERS}")
    if not 0 < args.minutes <= MAX_MINUTES:
        parser.error(f"--minutes must be between 0 and {MAX_MINUTES}")
    with tempfile.TemporaryDirectory(prefix="tocsin-load-") as folder:
        server = Server(Path(folder) / "data", free_port(), args.database_url)
        try:
            server.wait_ready()
            _stats, summary = asyncio.run(run_load(server, args.users, args.minutes * 60))
        finally:
            server.stop()
    summary["engine"] = "postgresql" if args.database_url else "sqlite"
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            if key == "routes":
                print(f"{key:>16}: (most total time first)")
                for route, figures in value.items():
                    print(f"{'':>18}{route:<48} {figures}")
            else:
                print(f"{key:>16}: {value}")
    return summary


if __name__ == "__main__":
    result = main()
    sys.exit(1 if result["errors"] or result["healthz_after"] != "ok" else 0)
