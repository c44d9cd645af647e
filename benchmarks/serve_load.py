"""The service's load test: `kotodoc serve` on loopback against `kotodoc batch` on the same cases.

    uv run python benchmarks/serve_load.py                    # 300 requests from 8 clients
    uv run python benchmarks/serve_load.py --kill-lane        # the same, one LibreOffice killed mid-run

It writes N case files from the samples that give one document each (plans, minors' and family
plans in fi, sv and en; each copy with its own case id), starts `kotodoc serve --lanes 2` on a free
loopback port, waits until /readyz says the lanes are warm, and measures:

1. one client, one request after the other: one plan to PDF (`POST /v1/render`), p50 and p95;
2. one client: validation only (`POST /v1/validate`), p50 and p95;
3. `--clients` clients at once, N requests in all, one plan to PDF each: p50, p95, throughput and
   failures (any answer but 200 with a PDF is a failure); with `--kill-lane`, one lane's
   LibreOffice (`soffice.bin`) is killed with SIGKILL after a third of the requests;
4. `kotodoc batch --format pdf --jobs 2` over the same N case files: its throughput, and the
   service's as a share of it;
5. `kotodoc render --format pdf` of one case, the same cases in turn (`--render` runs): what one
   plan to PDF costs without the service, on the machine as loaded as it is during this run.

Every process runs as a user's Python does, with its bytecode cache (`PYTHONDONTWRITEBYTECODE`
removed from the environment). It exits 1 when a request failed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The samples that give one document (the Espoo plan also gives a no-show notice: a ZIP).
ONE_DOCUMENT = ["helsinki-later-plan-fi", "tampere-2024-fi", "vaasa-employment-sv", "vantaa-multisectoral-en",
                "minor-unaccompanied-fi", "minor-guardians-sv", "family-five-fi", "family-en"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cases(folder: Path, count: int) -> list[Path]:
    """`count` case files, the samples in turn, each with a case id of its own (a batch refuses repeats)."""
    folder.mkdir(parents=True)
    texts = [(ROOT / "samples" / f"{name}.yaml").read_text(encoding="utf-8") for name in ONE_DOCUMENT]
    paths = []
    for n in range(count):
        text = texts[n % len(texts)]
        old = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("case_id:"))
        path = folder / f"case-{n:04d}.yaml"
        path.write_text(text.replace(f"case_id: {old}", f"case_id: LOAD-{n:04d}", 1), encoding="utf-8")
        paths.append(path)
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Client:
    """One keep-alive HTTP connection to the service."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers={"Content-Type": "application/yaml"} if body else {})
            response = self.conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            status, data = 0, b""
        return status, data, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def descendants(pid: int) -> dict[int, str]:
    """The processes under `pid`, with their names (from /proc)."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            names[int(entry.name)] = stat[stat.index("(") + 1:stat.rindex(")")]
            children.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(entry.name))
    found, todo = {}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found[child] = names[child]
            todo.append(child)
    return found


def sequential(port: int, path: str, bodies: list[bytes], count: int) -> list[float]:
    client = Client(port)
    seconds = []
    for n in range(count):
        status, _, took = client.request("POST", path, bodies[n % len(bodies)])
        if status != 200:
            raise SystemExit(f"{path}: answered {status}")
        seconds.append(took)
    return seconds


def concurrent(port: int, bodies: list[bytes], clients: int, kill_after: int | None,
               server: int) -> tuple[list[float], int, float, str]:
    """`len(bodies)` PDF renders from `clients` threads; their durations, failures, wall time, what was killed."""
    lock = threading.Lock()
    todo = list(enumerate(bodies))
    seconds: list[float] = []
    failures = [0]
    killed = [""]

    def work() -> None:
        client = Client(port)
        while True:
            with lock:
                if not todo:
                    return
                n, body = todo.pop(0)
                done = len(bodies) - len(todo)
                if kill_after is not None and done == kill_after and not killed[0]:
                    offices = sorted(pid for pid, name in descendants(server).items() if name == "soffice.bin")
                    if offices:
                        os.kill(offices[0], signal.SIGKILL)
                        killed[0] = f"soffice.bin {offices[0]} killed before request {done}"
            status, data, took = client.request("POST", "/v1/render?format=pdf", body)
            with lock:
                if status == 200 and data.startswith(b"%PDF-"):
                    seconds.append(took)
                else:
                    failures[0] += 1
                    print(f"request {n}: failed, status {status}: {data[:300]!r}", file=sys.stderr)

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return seconds, failures[0], time.perf_counter() - started, killed[0]


def metric(port: int, name: str) -> float:
    _, data, _ = Client(port).request("GET", "/metrics")
    for line in data.decode().splitlines():
        if line.startswith((name + " ", name + "{")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="concurrent-phase requests (and batch cases)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--lanes", type=int, default=2)
    parser.add_argument("--single", type=int, default=40, help="one-client PDF renders")
    parser.add_argument("--validate", type=int, default=100, help="one-client validations")
    parser.add_argument("--kill-lane", action="store_true", help="kill one LibreOffice during the concurrent phase")
    parser.add_argument("--no-batch", action="store_true", help="skip the batch comparison")
    parser.add_argument("--render", type=int, default=8, help="`kotodoc render` runs of one case, for comparison")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kotodoc-load-"))
    port = free_port()
    server = None
    try:
        paths = cases(work / "cases", args.requests)
        bodies = [p.read_bytes() for p in paths]
        server = subprocess.Popen([sys.executable, "-m", "kotodoc", "serve", "--port", str(port), "--lanes",
                                   str(args.lanes), "--queue", str(4 * args.clients)],
                                  env=ENV, stderr=subprocess.DEVNULL, cwd=ROOT)
        started = time.perf_counter()
        while True:
            status = Client(port).request("GET", "/readyz")[0]
            if status == 200:
                break
            if server.poll() is not None or time.perf_counter() - started > 180:
                raise SystemExit("kotodoc serve did not become ready")
            time.sleep(0.2)
        ready = time.perf_counter() - started
        sequential(port, "/v1/render?format=pdf", bodies[:len(ONE_DOCUMENT)], len(ONE_DOCUMENT))  # warm
        single = sequential(port, "/v1/render?format=pdf", bodies, args.single)
        checks = sequential(port, "/v1/validate", bodies, args.validate)
        kill_after = args.requests // 3 if args.kill_lane else None
        loaded, failures, wall, killed = concurrent(port, bodies, args.clients, kill_after, server.pid)
        restarts = metric(port, "kotodoc_libreoffice_restarts_total")
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    batch_seconds = None
    if not args.no_batch:
        begun = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kotodoc", "batch", str(work / "cases"), "-o", str(work / "out"),
                        "--format", "pdf", "--jobs", str(args.lanes)], env=ENV, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        batch_seconds = time.perf_counter() - begun
    renders = []
    for n in range(args.render):
        begun = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kotodoc", "render", str(paths[n % len(paths)]), "-o",
                        str(work / "render"), "--format", "pdf"], env=ENV, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        renders.append(time.perf_counter() - begun)
    shutil.rmtree(work, ignore_errors=True)

    load = os.getloadavg()
    print(f"kotodoc serve --lanes {args.lanes}, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
          f"{platform.machine()}, Python {platform.python_version()}, load average {load[0]:.1f}")
    print(f"ready (lanes warm) {ready:.1f} s after the start")
    print(f"1 client, plan to PDF, {len(single)} requests: p50 {statistics.median(single):.3f} s, "
          f"p95 {percentile(single, 0.95):.3f} s")
    print(f"1 client, validation, {len(checks)} requests: p50 {statistics.median(checks) * 1000:.0f} ms, "
          f"p95 {percentile(checks, 0.95) * 1000:.0f} ms")
    rate = args.requests / wall
    print(f"{args.clients} clients, plan to PDF, {args.requests} requests: p50 {statistics.median(loaded):.3f} s, "
          f"p95 {percentile(loaded, 0.95):.3f} s, {rate:.2f} documents/s, {failures} failure(s)")
    if args.kill_lane:
        print(f"  {killed or 'nothing killed'}; LibreOffice restarts {restarts:.0f}")
    if batch_seconds is not None:
        batch_rate = args.requests / batch_seconds
        print(f"kotodoc batch --format pdf --jobs {args.lanes}, the same {args.requests} cases: "
              f"{batch_seconds:.1f} s, {batch_rate:.2f} documents/s; the service: {rate / batch_rate:.0%} of it")
    if renders:
        print(f"kotodoc render --format pdf of one case, {len(renders)} runs: p50 {statistics.median(renders):.3f} s "
              f"(the service's one-client p50: {statistics.median(single) / statistics.median(renders):.0%} of it)")
    print(json.dumps({"single_p50": statistics.median(single), "single_p95": percentile(single, 0.95),
                      "validate_p50": statistics.median(checks), "loaded_p50": statistics.median(loaded),
                      "loaded_p95": percentile(loaded, 0.95), "rate": rate, "failures": failures,
                      "batch_rate": None if batch_seconds is None else args.requests / batch_seconds}))
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
