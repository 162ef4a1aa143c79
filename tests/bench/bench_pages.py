"""Benchmark: lesson page server time under 20 concurrent clients, and a lesson page's transfer size.

Run: .venv/bin/python -m tests.bench.bench_pages [--seconds 20] [--clients 20]

It starts the app the way `make run` does (migrate, collectstatic, seed_demo, daphne on a file
database with the embedded defaults), warms it up, then lets N clients, each with its own
keep-alive connection and session cookie, read lesson pages (both languages, all lessons) back to
back for a fixed time. Server time is Django's own time per request, read from the
`Server-Timing` header; client latency (which adds queueing behind the other clients and the
network stack) and throughput are printed too. Then it adds up the gzipped bytes a browser
downloads for one lesson page: the HTML and every stylesheet, script, icon, font and image the
page loads; the plotly bundle, fetched only when the chart scrolls near, is reported separately.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
NO_CHART_PAGE = "/lessons/web-tier/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _lesson_paths() -> list[str]:
    paths = []
    for path in sorted((ROOT / "lessons" / "content" / "ko").glob("*.md")):
        slug = path.stem.split("-", 1)[1]
        paths += [f"/lessons/{slug}/?lang=ko", f"/lessons/{slug}/?lang=en"]
    return paths


class App:
    """The app as `make run` serves it, on a throwaway file database."""

    def __init__(self, settings_module: str) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="scalelab-bench-"))
        self.port = _free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DATABASE_URL": f"sqlite:///{self.workdir}/db.sqlite3",
            "DEBUG": "false",
        }
        self.env.pop("REDIS_URL", None)
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> App:
        python = sys.executable
        for command in (
            ["migrate", "--noinput", "-v0"],
            ["collectstatic", "--noinput", "-v0"],
            ["seed_demo", "--quiet"],
        ):
            subprocess.run([python, "manage.py", *command], cwd=ROOT, env=self.env, check=True)
        log = (self.workdir / "daphne.log").open("wb")
        self.process = subprocess.Popen(
            [python, "-m", "daphne", "-b", HOST, "-p", str(self.port), "config.asgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://{HOST}:{self.port}/", timeout=1)  # noqa: S310
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"daphne did not start; see {self.workdir / 'daphne.log'}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass
class Client:
    """One visitor: a keep-alive connection and its cookies."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    connection: http.client.HTTPConnection | None = None

    def get(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes, float]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        started = time.perf_counter()
        self.connection.request("GET", path, headers=sent)
        response = self.connection.getresponse()
        body = response.read()
        elapsed_ms = (time.perf_counter() - started) * 1000
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
            self.connection = None
        return response.status, dict(response.headers.items()), body, elapsed_ms


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0.0 where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_ms(headers: dict[str, str]) -> float:
    match = re.search(r"dur=([\d.]+)", headers.get("Server-Timing", ""))
    return float(match.group(1)) if match else float("nan")


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def load_test(port: int, clients: int, seconds: float, think_s: float, pid: int = 0) -> dict[str, float]:
    """`clients` visitors read lesson pages for `seconds`; each pauses about `think_s` between pages."""
    paths = _lesson_paths()
    server: list[float] = []
    latency: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    start = threading.Barrier(clients + 1)

    def visitor(number: int) -> None:
        nonlocal errors
        client = Client(port)
        pause = random.Random(number)
        client.get(paths[0])  # gets its session cookie
        start.wait()
        if think_s:  # readers arrive over the first pause, not all in the same millisecond
            time.sleep(pause.uniform(0, think_s))
        index = number
        mine_server, mine_latency, mine_errors = [], [], 0
        while time.perf_counter() < deadline:
            status, headers, _body, elapsed = client.get(paths[index % len(paths)])
            index += 1
            if think_s:
                time.sleep(pause.uniform(0.5 * think_s, 1.5 * think_s))
            if status != 200:
                mine_errors += 1
            mine_server.append(_server_ms(headers))
            mine_latency.append(elapsed)
        with lock:
            server.extend(mine_server)
            latency.extend(mine_latency)
            errors += mine_errors

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began, cpu_before = time.perf_counter(), _cpu_s(pid)
    for thread in threads:
        thread.join()
    elapsed, cpu_used = time.perf_counter() - began, _cpu_s(pid) - cpu_before
    return {
        "requests": len(server),
        "cpu_ms_per_request": cpu_used / max(len(server), 1) * 1000,
        "errors": errors,
        "rps": len(server) / elapsed,
        "server_p50": _percentile(server, 50),
        "server_p95": _percentile(server, 95),
        "server_p99": _percentile(server, 99),
        "server_mean": statistics.fmean(server),
        "latency_p50": _percentile(latency, 50),
        "latency_p95": _percentile(latency, 95),
        "latency_p99": _percentile(latency, 99),
    }


ASSET_RE = re.compile(r"""<(?:link|script|img)\b[^>]*?(?:href|src)="([^"]+)\"""")
LAZY_RE = re.compile(r'data-plotly-src="([^"]+)"')
IMPORT_MAP_RE = re.compile(r'<script type="importmap">(.*?)</script>', re.S)
CSS_URL_RE = re.compile(r"url\(['\"]?([^'\")]+)['\"]?\)")


def transfer(port: int, path: str) -> dict[str, object]:
    client = Client(port)
    gzip_header = {"Accept-Encoding": "gzip"}

    def wire_bytes(url: str) -> tuple[int, bytes]:
        """Bytes of the gzipped response (gzipped here when the server sent it plain), and the body."""
        status, headers, body, _ = client.get(url, gzip_header)
        if status != 200:
            raise RuntimeError(f"{url}: HTTP {status}")
        if headers.get("Content-Encoding") == "gzip":
            return len(body), gzip.decompress(body)
        return len(gzip.compress(body, compresslevel=6)), body

    size, html = wire_bytes(path)
    page = html.decode()
    items = [(path, size)]
    seen = {path}
    queue = [url for url in ASSET_RE.findall(page) if url.startswith("/") and "hreflang" not in url]
    for block in IMPORT_MAP_RE.findall(page):  # ES modules the page's scripts import (the live lab)
        queue += [url for url in json.loads(block).get("imports", {}).values() if url.startswith("/")]
    for url in queue:
        if url in seen:
            continue
        seen.add(url)
        size, body = wire_bytes(url)
        items.append((url, size))
        if url.endswith(".css"):
            base = url.rsplit("/", 1)[0]
            for ref in CSS_URL_RE.findall(body.decode()):
                if not ref.startswith("data:"):
                    queue.append(ref if ref.startswith("/") else f"{base}/{ref}")
    lazy = [(url, wire_bytes(url)[0]) for url in LAZY_RE.findall(page)]
    return {"items": items, "total": sum(s for _, s in items), "lazy": lazy}


def _report_load(title: str, figures: dict[str, float]) -> None:
    print(title)
    print(
        f"  requests {figures['requests']:.0f}, errors {figures['errors']:.0f}, {figures['rps']:.0f} req/s, "
        f"server CPU {figures['cpu_ms_per_request']:.1f} ms per request"
    )
    print(
        f"  server time    p50 {figures['server_p50']:.1f} ms  p95 {figures['server_p95']:.1f} ms  "
        f"p99 {figures['server_p99']:.1f} ms"
    )
    print(
        f"  client latency p50 {figures['latency_p50']:.1f} ms  p95 {figures['latency_p95']:.1f} ms  "
        f"p99 {figures['latency_p99']:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a reader's pages (s)")
    parser.add_argument("--settings", default="config.settings", help="Django settings module to serve with")
    args = parser.parse_args()
    with App(args.settings) as app:
        warm = Client(app.port)
        for path in _lesson_paths() * 3:
            warm.get(path)
        pid = app.process.pid if app.process else 0
        reading = load_test(app.port, args.clients, args.seconds, args.think, pid)
        flat_out = load_test(app.port, args.clients, args.seconds, 0.0, pid)
        page = transfer(app.port, NO_CHART_PAGE)
    cpu = platform.processor() or platform.machine()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"Lesson pages — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {cpu}, {os.cpu_count()} cores, load {load}"
    )
    pages = len(_lesson_paths())
    print(f"One daphne process (as make run), {pages} lesson pages (ko + en), {args.seconds:g} s per run")
    _report_load(
        f"{args.clients} concurrent readers, ~{args.think:g} s between pages (target: server p95 <= 25 ms):",
        reading,
    )
    _report_load(f"{args.clients} concurrent clients back to back, no pause (saturation):", flat_out)
    print(f"Transfer of {NO_CHART_PAGE}, gzipped (target <= 150 KB on load):")
    for url, size in page["items"]:
        print(f"  {size / 1024:7.1f} KB  {url}")
    print(f"  {page['total'] / 1024:7.1f} KB  total on load")
    for url, size in page["lazy"]:
        print(f"  {size / 1024:7.1f} KB  {url} (fetched only when the chart scrolls near)")


if __name__ == "__main__":
    main()
