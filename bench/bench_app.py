"""The web app under load: 20 concurrent ``generate`` requests on loopback, their latency percentiles.

    nice python bench/bench_app.py                          # the default run (runs/text2image or the shipped model)
    nice python bench/bench_app.py --run-dir runs/text2image --requests 20 -n 8

It starts the real `course app` on 127.0.0.1 (a free port), waits until it answers, warms it up
with one request, times a few requests one after another (the latency of a lone user), then sends
``--requests`` ``generate`` requests at once, each from its own gradio_client, and prints how many
were answered, the p50 / p95 / max latency and the wall time of the burst, in seconds and in
reference epochs measured in the same run. The app draws one request at a time (one Keras model),
so under a burst the latency grows with the queue: p95 is about the burst's wall time.
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from reference_epoch import describe, in_reference_epochs, measure_reference_epoch

COURSE = Path(sys.executable).parent / "course"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(run_dir, log: Path, guard_s: float = 900):
    port = free_port()
    args = [str(COURSE), "app", "--port", str(port)] + (["--run-dir", str(run_dir)] if run_dir else [])
    proc = subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    start = time.perf_counter()
    while time.perf_counter() - start < guard_s:
        if proc.poll() is not None:
            sys.exit(f"course app exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return proc, url, time.perf_counter() - start
        except OSError:
            time.sleep(0.5)
    proc.kill()
    sys.exit(f"course app did not answer within {guard_s:.0f} s (log: {log})")


def timed(seconds: float, ref: dict) -> str:
    """Like ``in_reference_epochs``, with the digits a sub-second latency needs."""
    return f"{seconds:.2f} s = {seconds / ref['reference_epoch_s']:.5f} reference epoch"


def percentile(values, q) -> float:
    return float(np.percentile(np.asarray(values), q))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-dir", default=None, help="the run to serve (default: course app's default)")
    parser.add_argument("--requests", type=int, default=20, help="concurrent generate requests (default 20)")
    parser.add_argument("-n", type=int, default=8, help="images per request (default 8)")
    parser.add_argument("--lone", type=int, default=5, help="requests timed one after another first (default 5)")
    args = parser.parse_args(argv)
    if args.requests < 1 or not 1 <= args.n <= 16:
        parser.error("--requests must be at least 1 and -n from 1 to 16")

    from gradio_client import Client

    ref = measure_reference_epoch()
    print(describe(ref))
    work = Path(tempfile.mkdtemp(prefix="bench-app-"))
    proc, url, startup_s = start_app(args.run_dir, work / "app.log")
    try:
        print(f"course app answered at {url} after {in_reference_epochs(startup_s, ref)} (start-up: imports, model)")
        clients = [Client(url, verbose=False, download_files=str(work / f"c{i}")) for i in range(args.requests)]
        clients[0].predict("a thin 7", args.n, 0, api_name="/generate")  # warm-up: the first draw builds graphs

        lone = []
        for i in range(args.lone):
            t = time.perf_counter()
            clients[0].predict(f"a thick {i % 10}", args.n, i, api_name="/generate")
            lone.append(time.perf_counter() - t)

        def one(i):
            t = time.perf_counter()
            images = clients[i].predict(f"a {['thin', 'thick'][i % 2]} {i % 10}", args.n, 100 + i,
                                        api_name="/generate")
            return time.perf_counter() - t, len(images)

        t = time.perf_counter()
        with ThreadPoolExecutor(args.requests) as pool:
            results = list(pool.map(one, range(args.requests)))
        burst_s = time.perf_counter() - t
    finally:
        proc.terminate()
        proc.wait(timeout=60)

    latencies = [s for s, _ in results]
    answered = sum(count == args.n for _, count in results)
    print(f"\n{args.lone} requests one after another, {args.n} images each: "
          f"median {timed(float(np.median(lone)), ref)}")
    print(f"{args.requests} concurrent generate requests, {args.n} images each: {answered}/{args.requests} answered "
          f"with {args.n} images" + ("" if answered == args.requests else "  <-- LOST REQUESTS"))
    for name, value in [("p50 latency", percentile(latencies, 50)), ("p95 latency", percentile(latencies, 95)),
                        ("max latency", max(latencies)), ("burst wall time", burst_s)]:
        print(f"  {name:<16} {timed(value, ref)}")
    print(f"  throughput       {args.requests * args.n / burst_s:.1f} images/s")
    return 0 if answered == args.requests else 1


if __name__ == "__main__":
    sys.exit(main())
