"""Load test of ``multis2s serve`` on loopback: text predictions with request batching on and off.

    python bench/serve_load.py RUN_DIR [--requests 400] [--clients 8] [--max-seconds 60]
                               [--batch-wait-ms 5,0] [--max-batch 16]

For each ``--batch-wait-ms`` value (0 = batching off) a ``multis2s serve`` process (one torch
thread) serves the text run in RUN_DIR; ``--clients`` concurrent clients each send one request,
wait for its answer, and send the next, until ``--requests`` are answered or ``--max-seconds``
pass. Inputs are the sources of the run's test split, in turn. Prints one Markdown row per setting:
answered requests, requests/s, p50 and p95 latency, and the ``uptime`` load average before it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_sources(run_dir: Path, count: int) -> list[str]:
    from multis2s.run import Run

    run = Run.from_folder(run_dir)
    sources = [e.source for e in run.examples("test")[:count]]
    if not all(isinstance(s, str) for s in sources) or any(run.streams.pipelines[n].reads_files
                                                           for n in run.streams.names):
        raise SystemExit(f"{run_dir}: the load test needs a run with one text stream")
    return sources


def start_server(run_dir: Path, port: int, wait_ms: float, max_batch: int) -> subprocess.Popen:
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen([sys.executable, "-m", "multis2s", "serve", str(run_dir), "--port", str(port),
                               "--batch-wait-ms", str(wait_ms), "--max-batch", str(max_batch)], env=environment)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
        if server.poll() is not None:
            raise SystemExit(f"multis2s serve exited with code {server.returncode}")
    server.kill()
    raise SystemExit("multis2s serve did not answer /health within 120 s")


async def load(url: str, sources: list[str], *, requests: int, clients: int, max_seconds: float
               ) -> tuple[list[float], float]:
    """Latencies (s) of the answered requests and the wall time they took."""
    latencies: list[float] = []
    sent = 0
    started = time.perf_counter()
    deadline = started + max_seconds

    async def client(session: httpx.AsyncClient) -> None:
        nonlocal sent
        while sent < requests and time.perf_counter() < deadline:
            text = sources[sent % len(sources)]
            sent += 1
            begin = time.perf_counter()
            response = await session.post(url, json={"text": text})
            response.raise_for_status()
            latencies.append(time.perf_counter() - begin)

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=120) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return latencies, time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=60.0, help="per setting")
    parser.add_argument("--batch-wait-ms", default="5,0", help="comma-separated settings; 0 = batching off")
    parser.add_argument("--max-batch", type=int, default=16)
    args = parser.parse_args()
    sources = test_sources(args.run_dir, 200)
    print(f"{args.run_dir}: {args.requests} requests at most, {args.clients} concurrent clients, "
          f"{args.max_seconds:.0f} s at most per setting, one torch thread in the server\n")
    print("| batching | answered | requests/s | p50 latency | p95 latency | load average before |")
    print("|---|---|---|---|---|---|")
    for wait_ms in (float(v) for v in args.batch_wait_ms.split(",")):
        port = free_port()
        server = start_server(args.run_dir, port, wait_ms, args.max_batch)
        try:
            load_average = " ".join(f"{v:.2f}" for v in os.getloadavg())
            latencies, seconds = asyncio.run(load(f"http://127.0.0.1:{port}/predict", sources,
                                                  requests=args.requests, clients=args.clients,
                                                  max_seconds=args.max_seconds))
        finally:
            server.terminate()
            server.wait(timeout=30)
        setting = f"on (wait {wait_ms:g} ms, ≤ {args.max_batch})" if wait_ms > 0 else "off"
        print(f"| {setting} | {len(latencies)} | {len(latencies) / seconds:.1f} | "
              f"{1000 * statistics.median(latencies):.0f} ms | {1000 * percentile(latencies, 0.95):.0f} ms | "
              f"{load_average} |", flush=True)


if __name__ == "__main__":
    main()
