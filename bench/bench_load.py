#!/usr/bin/env python3
"""Load past one process: typed turns through the load balancer of the scaled stack.

    .venv/bin/python bench/bench_load.py [--levels 8,16,32,64] [--replicas 1,2] [--seconds 20]
        [--max-sessions N]                           # each gateway's cap (default 32)
    .venv/bin/python bench/bench_load.py --quick     # levels 4,8; 8 s each

For each replica count R, ``run_assistant.py deploy``'s stack with R gateways, R Rasa servers
and R commerce processes (one action server; HAProxy; the commerce database and the tracker
store in PostgreSQL, the lock store in Redis) and, at each level, that many simulated customers
at once: each a home speaker bound to its own customer, connected through the balancer, typing
its turns one after the other as soon as the last is answered ("add a litre of whole milk",
"what's in my basket", "is the harbour store open now"), reply audio included as a device
gets it. Measured over ``--seconds`` after the customers have connected: turns answered per
second, each turn's latency (text sent → ``turn_done``), p50/p95, errors by code (refused
connections such as ``gateway-full`` past a gateway's cap, ``gateway.max_sessions``; turns
that ended in an error or an apology; timeouts) and the machine's CPU and load average. The
seeded stack runs in the machine's PostgreSQL (``--database-url``, a server URL; the benchmark
makes and drops its own databases) and Redis. Writes bench/results/load.json and .png.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, text  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from assistant.channels import protocol as p  # noqa: E402
from assistant.deploy import Deployment, Fronts, Shape  # noqa: E402
from assistant.settings import load_settings  # noqa: E402
from assistant.training import train  # noqa: E402
from bench.common import percentile  # noqa: E402
from commerce.db import Database  # noqa: E402
from commerce.migrate import upgrade  # noqa: E402
from commerce.seed import seeder  # noqa: E402
from commerce.services import auth, devices  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SCRIPT = ("add a litre of whole milk", "what's in my basket", "is the harbour store open now")
APOLOGIES = {"utter_service_unavailable", "utter_assistant_unavailable"}
TURN_TIMEOUT_S = 60.0


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1


def stack_cpu_s(pids: list[int]) -> float:
    """CPU seconds used so far by these processes and everything under them (the stack's
    own, whatever else the machine runs)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue  # a process that ended in between
    return total


def cpu_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


async def customer(url: str, token: str, start: float, stop: float, tally: Tally) -> None:
    """One simulated customer: connect, then turn after turn until ``stop``; turns that end
    between ``start`` and ``stop`` are counted."""
    try:
        async with connect(url, open_timeout=20, max_size=2**22, compression=None) as ws:
            await ws.send(p.encode(p.Hello(token, p.AudioFormat())))
            ready = json.loads(await asyncio.wait_for(ws.recv(), 20))
            if ready.get("type") != "ready":
                tally.error(ready.get("code", "refused"))
                return
            i = 0
            while time.monotonic() < stop:
                sent = time.monotonic()
                await ws.send(p.encode(p.Text(SCRIPT[i % len(SCRIPT)])))
                i += 1
                outcome = await asyncio.wait_for(one_turn(ws), TURN_TIMEOUT_S)
                done = time.monotonic()
                if not start <= done <= stop:
                    continue
                if outcome:
                    tally.error(outcome)
                else:
                    tally.latencies_ms.append((done - sent) * 1000)
    except TimeoutError:
        tally.error("timeout")
    except OSError as err:
        tally.error(f"connection: {type(err).__name__}")
    except Exception as err:  # a closed connection, a refused upgrade: counted, not fatal
        tally.error(type(err).__name__)


async def one_turn(ws: Any) -> str | None:
    """Read one turn through ``turn_done``: None, or what went wrong."""
    apology = None
    while True:
        message = await ws.recv()
        if isinstance(message, bytes):
            continue  # reply audio
        event = json.loads(message)
        kind = event.get("type")
        if kind == "reply" and event.get("response") in APOLOGIES:
            apology = event["response"]
        elif kind == "error":
            return str(event.get("code"))
        elif kind == "turn_done":
            return event.get("error") or apology


async def level(
    url: str, tokens: list[str], warm_s: float, seconds: float, pids: list[int]
) -> dict[str, Any]:
    tally = Tally()
    start = time.monotonic() + warm_s
    stop = start + seconds
    busy0, total0, stack0, load = 0.0, 0.0, 0.0, 0.0

    async def measure_cpu() -> None:
        nonlocal busy0, total0, stack0, load
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        busy0, total0 = cpu_busy()
        stack0 = stack_cpu_s(pids)
        load = os.getloadavg()[0]

    cpu_task = asyncio.create_task(measure_cpu())
    await asyncio.gather(*(customer(url, t, start, stop, tally) for t in tokens))
    await cpu_task
    busy1, total1 = cpu_busy()
    stack_s = stack_cpu_s(pids) - stack0
    lat = tally.latencies_ms
    return {
        "customers": len(tokens),
        "turns": len(lat),
        "turns_per_s": round(len(lat) / seconds, 2),
        "latency_ms": {
            "p50": round(percentile(lat, 50)) if lat else None,
            "p95": round(percentile(lat, 95)) if lat else None,
        },
        "errors": sum(tally.errors.values()),
        "errors_by_kind": tally.errors,
        "machine_cpu_busy": round((busy1 - busy0) / max(1.0, total1 - total0), 3),
        "load_average_at_start": round(load, 2),
        # the stack's own CPU (every process of it, the balancer included) per turn, and so
        # what one core given wholly to it would answer: the figure a larger machine scales by
        "stack_cpu_s": round(stack_s, 1),
        "stack_cpu_ms_per_turn": round(stack_s * 1000 / len(lat)) if lat else None,
        "turns_per_core_s": round(len(lat) / stack_s, 2) if stack_s else None,
    }


def admin(url: str, sql: str) -> None:
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def add_devices(url: str, customers: list[str]) -> list[str]:
    db = Database.connect(url)
    tokens = []
    try:
        with db.session(write=True) as session:
            for handle in customers:
                who = auth.find_customer(session, handle)
                tokens.append(devices.add_device(session, "home", customer=who)[1])
    finally:
        db.dispose()
    return tokens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="8,16,32,64")
    parser.add_argument("--replicas", default="1,2")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured per level")
    parser.add_argument("--warm", type=float, default=4.0, help="seconds before measuring")
    parser.add_argument("--quick", action="store_true", help="levels 4,8; 8 s each")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL server (its own databases are made and dropped)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--max-sessions", type=int, help="devices each gateway holds (default: its setting, 32)"
    )
    parser.add_argument(
        "--keep-logs", dest="logs", type=Path, help="keep each stack's logs in a folder here"
    )
    parser.add_argument("--name", help="results name in bench/results (default load[-quick])")
    args = parser.parse_args()
    levels = [4, 8] if args.quick else [int(v) for v in args.levels.split(",")]
    seconds = 8.0 if args.quick else args.seconds
    replicas = [int(v) for v in args.replicas.split(",")]

    settings = load_settings(environ={})
    if args.max_sessions:
        settings = replace(
            settings, gateway=replace(settings.gateway, max_sessions=args.max_sessions)
        )
    train(settings)
    name = f"vca_load_{uuid.uuid4().hex[:8]}"
    url = make_url(args.database_url).set(database=name).render_as_string(hide_password=False)
    admin(args.database_url, f'CREATE DATABASE "{name}"')
    runs: list[dict[str, Any]] = []
    try:
        db = Database.connect(url)
        upgrade(db)
        handles = seeder.seed(db, customers=max(levels)).customers
        db.dispose()
        tokens = add_devices(url, handles[: max(levels)])
        for r in replicas:
            tracker = make_url(url).set(database=f"{name}_t{r}").render_as_string(False)
            kept = args.logs and contextlib.nullcontext(
                tempfile.mkdtemp(prefix="bench-scale-", dir=args.logs)
            )
            with kept or tempfile.TemporaryDirectory(prefix="bench-scale-") as work:
                deployment = Deployment(
                    settings,
                    Shape(gateways=r, rasa=r, commerce=r),
                    database_url=url,
                    tracker_url=tracker,
                    redis_url=args.redis_url,
                    work=Path(work),
                    fronts=Fronts.free(),
                )
                try:
                    started = time.monotonic()
                    deployment.start()
                    start_s = round(time.monotonic() - started, 1)
                    pids = [x.process.pid for x in deployment.processes() if x.process]
                    asyncio.run(level(deployment.gateway_url, tokens[:2], 1.0, 3.0, pids))
                    results = []
                    for n in levels:
                        result = asyncio.run(
                            level(deployment.gateway_url, tokens[:n], args.warm, seconds, pids)
                        )
                        results.append(result)
                        print(f"replicas {r}, {n:3d} customers: {json.dumps(result)}", flush=True)
                    runs.append({"replicas": r, "start_s": start_s, "levels": results})
                finally:
                    deployment.stop()
            admin(args.database_url, f'DROP DATABASE IF EXISTS "{name}_t{r}" WITH (FORCE)')
    finally:
        admin(args.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    cores = os.cpu_count() or 1
    best = {
        run["replicas"]: max((lv["turns_per_s"] for lv in run["levels"]), default=0.0)
        for run in runs
    }
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{cores} cores, {platform.python_version()}",
        "command": "bench/bench_load.py " + " ".join(sys.argv[1:]),
        "seconds_per_level": seconds,
        "max_sessions_per_gateway": settings.gateway.max_sessions,
        "script": list(SCRIPT),
        "runs": runs,
        "best_turns_per_s": best,
        "best_turns_per_s_per_machine_core": {r: round(v / cores, 2) for r, v in best.items()},
        "turns_per_core_s": {
            run["replicas"]: max((lv["turns_per_core_s"] or 0 for lv in run["levels"]), default=0)
            for run in runs
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = args.name or ("load-quick" if args.quick else "load")
    (RESULTS / f"{out}.json").write_text(json.dumps(report, indent=2) + "\n")
    plot(report, RESULTS / f"{out}.png")
    print(json.dumps({"best_turns_per_s": best}))
    return 0


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for k, run in enumerate(report["runs"]):
        levels = run["levels"]
        ns = [lv["customers"] for lv in levels]
        label = f"{run['replicas']} of each"
        ax.plot(ns, [lv["turns_per_s"] for lv in levels], "o-", color=f"C{k}", label=label)
        for lv in levels:
            if lv["errors"]:
                ax.annotate(f"{lv['errors']} err", (lv["customers"], lv["turns_per_s"]), fontsize=8)
        for key, style in (("p50", "o-"), ("p95", "s--")):
            ax2.plot(ns, [lv["latency_ms"][key] or 0 for lv in levels], style, color=f"C{k}",
                     label=f"{label}: {key}")  # fmt: skip
    ax.set_xlabel("simulated customers typing at once")
    ax.set_ylabel("turns answered per second")
    ax.set_title("Throughput through the balancer", fontsize=10)
    ax.legend(fontsize=8)
    ax2.set_xlabel("simulated customers")
    ax2.set_ylabel("turn latency (ms)")
    ax2.set_title("Latency: text sent to turn_done", fontsize=10)
    ax2.legend(fontsize=8)
    fig.suptitle(f"Scaled stack under load ({report['machine']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
