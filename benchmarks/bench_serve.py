"""Load check of `diagnoser serve`: requests/s and p50/p95 latency of POST /v1/diagnose.

Starts its own server on a free loopback port (with a throwaway store), sends --requests
requests from --clients concurrent clients (stopping at --seconds whatever is left), prints the
figures side by side for a ticket no incident rule matches and for one that is correlated (a
SQLite write per request), and stops the server.

    python benchmarks/bench_serve.py --clients 8 --requests 2000
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import httpx

PLAIN = {"text": "发票打印机卡纸了，打不出来"}
CORRELATED = {"text": "错误代码1001，连不上服务器", "region": "番禺区"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _load(base: str, body: dict, clients: int, requests: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(requests))
    deadline = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        with httpx.Client(base_url=base, timeout=30) as http:
            for n in counter:
                if time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                reply = http.post("/v1/diagnose", json={**body, "id": f"B{n}", "site": f"s{n}"})
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    errors += reply.status_code != 200

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "n": len(latencies),
        "rps": len(latencies) / wall,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0, help="stop each run after this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = _port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from diagnoser.cli import main; main()",
                "serve",
                "--port",
                str(port),
                "--store",
                os.path.join(tmp, "bench.sqlite3"),
            ],
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            _load(base, PLAIN, 2, 50, 10)  # warm-up
            rows = [
                (
                    "no incident rule matches",
                    _load(base, PLAIN, args.clients, args.requests, args.seconds),
                ),
                (
                    "correlated (SQLite write)",
                    _load(base, CORRELATED, args.clients, args.requests, args.seconds),
                ),
            ]
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"POST /v1/diagnose, {args.clients} clients, up to {args.requests} requests each run")
    print(f"{'ticket':<28}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
    for name, r in rows:
        print(
            f"{name:<28}{r['n']:>9}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['errors']:>8}"
        )


if __name__ == "__main__":
    main()
