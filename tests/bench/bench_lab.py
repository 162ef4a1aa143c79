"""Benchmark: live labs on one ASGI process — frame intervals, CPU, command latency, frame sizes.

Run: .venv/bin/python -m tests.bench.bench_lab [--labs 500] [--seconds 30] [--moderate 100]

It prepares N visitor sessions, each owning one lab (lesson presets in turn, `full` included),
starts daphne exactly as `make run` does (on uvloop, `config/serve.py`; `--server daphne-asyncio`
for plain daphne, `--server uvicorn` for uvicorn) but pinned to core 0 (`taskset -c 0`) with a
shared Redis (REDIS_URL, as on several machines: Redis channel layer, cached sessions), pins
itself to core 1, and opens one WebSocket per lab with a small asyncio client (a raw WebSocket
reader that only timestamps and counts messages; it parses nothing but the first bytes of each).
Then:

1. frame intervals: every socket's gaps between consecutive frames over the measuring window
   (p50/p95/p99; target p95 <= 120 ms at 10 Hz), the server process's CPU (from /proc, as a
   share of one core) and the client's own CPU (to show it is not the bottleneck);
2. frame sizes: the median delta and the keyframe, per preset (bytes of the socket message);
3. command to visible change: probe sockets send `set_users` with a fresh value and time the
   first frame whose settings carry it (target p95 <= 100 ms), at the full load and again after
   closing all but `--moderate` labs.

Figures go to stdout (and `--json`); docs/benchmarks.md "Live lab" records them.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
SERVER_NOTES = {"uvicorn": " (--ws {ws})", "daphne": " (on uvloop, as make run)"}  # in the report
FRAME_PREFIX = b'{"type":"frame","frame":{"type":"'
DELTA_PREFIX = FRAME_PREFIX + b'delta"'
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def _cpu_seconds(pid: int) -> float:
    return sum(_cpu_split(pid))


def _cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process (system: the kernel's work for it, sockets mostly)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


# ---------------------------------------------------------------- the server


class Server:
    """The app on a throwaway file database and the bench Redis, the ASGI server pinned to one core."""

    def __init__(self, *, core: int, server: str = "daphne", ws: str = "auto") -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="scalelab-bench-lab-"))
        self.port = _free_port()
        self.core = core
        self.server = server
        self.ws = ws
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{self.workdir}/db.sqlite3",
            "REDIS_URL": BENCH_REDIS_URL,
            "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "DEBUG": "false",
            "LAB_TICK_SECONDS": "0.1",
            "LOG_LEVEL": "ERROR",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def prepare(self) -> None:
        import redis

        redis.Redis.from_url(BENCH_REDIS_URL).flushdb()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=self.env, check=True
        )

    def start(self) -> None:
        log = (self.workdir / "server.log").open("wb")
        command = [
            sys.executable,
            "-m",
            "daphne" if self.server == "daphne-asyncio" else "config.serve",  # make run's: on uvloop
            "-b",
            HOST,
            "-p",
            str(self.port),
            "config.asgi:application",
        ]
        if self.server == "uvicorn":
            command = [sys.executable, "-m", "uvicorn", "--host", HOST, "--port", str(self.port)]
            command += [
                "--ws",
                self.ws,
                "--no-access-log",
                "--lifespan",
                "off",
                "--log-level",
                "warning",
                "config.asgi:application",
            ]
        if shutil.which("taskset"):
            command = ["taskset", "-c", str(self.core), *command]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                with socket.create_connection((HOST, self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.server} exited; see {self.workdir / 'server.log'}") from None
                time.sleep(0.05)
        raise RuntimeError(f"{self.server} did not start")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
        log = self.workdir / "server.log"
        if log.exists():
            kept = Path(tempfile.gettempdir()) / f"bench_lab_{self.server}.log"
            shutil.copy(log, kept)
            problems = [line for line in log.read_text(errors="replace").splitlines() if "Error" in line]
            print(f"{self.server}'s log: {kept} ({len(problems)} lines mention an error)")
        shutil.rmtree(self.workdir, ignore_errors=True)


def make_visitors(env: dict[str, str], presets: list[str], count: int) -> list[tuple[str, str, str]]:
    """`count` sessions, each owning one lab: (session cookie, socket path, preset)."""
    for key in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "LAB_TICK_SECONDS"):
        os.environ[key] = env[key]
    import django

    django.setup()
    from django.conf import settings
    from django.utils.module_loading import import_string

    from sandbox.labs import lab_open

    store_class = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    visitors = []
    for index in range(count):
        preset = presets[index % len(presets)]
        session = store_class()
        handle = lab_open(session=session, preset=preset)
        session.save()
        visitors.append((f"{settings.SESSION_COOKIE_NAME}={session.session_key}", handle.ws_path, preset))
    return visitors


# ---------------------------------------------------------------- the client


@dataclass
class Stats:
    measuring: bool = False
    intervals: list[float] = field(default_factory=list)
    frames: int = 0
    delta_sizes: dict[str, list[int]] = field(default_factory=dict)
    key_sizes: dict[str, list[int]] = field(default_factory=dict)
    closed: int = 0
    close_codes: dict[int, int] = field(default_factory=dict)


def _mask(payload: bytes) -> bytes:
    key = os.urandom(4)
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")
    return key + masked


def _client_frame(opcode: int, payload: bytes) -> bytes:
    length = len(payload)
    if length < 126:
        header = bytes((0x80 | opcode, 0x80 | length))
    elif length < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + length.to_bytes(8, "big")
    return header + _mask(payload)


class LabSocket(asyncio.Protocol):
    """A minimal WebSocket client: timestamps frames, answers pings, can send a command."""

    def __init__(self, path: str, cookie: str, port: int, preset: str, stats: Stats) -> None:
        self.path, self.cookie, self.port, self.preset, self.stats = path, cookie, port, preset, stats
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.open = False
        self.opened = asyncio.get_running_loop().create_future()
        self.last_frame = 0.0
        self.seq = 0
        self.waiting: tuple[bytes, float, asyncio.Future[float]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {self.path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://{HOST}:{self.port}\r\nCookie: {self.cookie}; scalelab_language=ko\r\n\r\n"
        )
        transport.write(request.encode())

    def connection_lost(self, exc: Exception | None) -> None:
        if self.open:
            self.stats.closed += 1
        self.open = False
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during the handshake"))

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if not self.open:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in buffer[: buffer.find(b"\r\n")]:
                self.opened.set_exception(ConnectionError(bytes(buffer[:end]).decode(errors="replace")))
                return
            del buffer[: end + 4]
            self.open = True
            self.opened.set_result(None)
        now = time.perf_counter()
        offset, size = 0, len(buffer)
        while size - offset >= 2:
            opcode, length = buffer[offset] & 0x0F, buffer[offset + 1] & 0x7F
            start = offset + 2
            if length == 126:
                if size - offset < 4:
                    break
                length, start = int.from_bytes(buffer[offset + 2 : offset + 4], "big"), offset + 4
            elif length == 127:
                if size - offset < 10:
                    break
                length, start = int.from_bytes(buffer[offset + 2 : offset + 10], "big"), offset + 10
            if size - start < length:
                break
            self._message(opcode, buffer, start, length, now)
            offset = start + length
        if offset:
            del buffer[:offset]

    def _message(self, opcode: int, buffer: bytearray, start: int, length: int, now: float) -> None:
        if opcode == 0x8:  # close: remember the code
            code = int.from_bytes(buffer[start : start + 2], "big") if length >= 2 else 1005
            self.stats.close_codes[code] = self.stats.close_codes.get(code, 0) + 1
            return
        if opcode == 0x9:  # ping: answer at once, or daphne closes the socket
            assert self.transport is not None
            self.transport.write(_client_frame(0xA, bytes(buffer[start : start + length])))
            return
        if opcode != 0x1 or not buffer.startswith(FRAME_PREFIX, start):
            return
        stats = self.stats
        delta = buffer.startswith(DELTA_PREFIX, start)
        if not delta:
            stats.key_sizes.setdefault(self.preset, []).append(length)
        if stats.measuring:
            stats.frames += 1
            if self.last_frame:
                stats.intervals.append(now - self.last_frame)
            if delta:
                stats.delta_sizes.setdefault(self.preset, []).append(length)
        self.last_frame = now
        waiting = self.waiting
        if waiting is not None and buffer.find(waiting[0], start, start + length) >= 0:
            self.waiting = None
            waiting[2].set_result(now - waiting[1])

    def command(self, users: int) -> asyncio.Future[float]:
        """Send set_users; the future gets the seconds until a frame carries the new value."""
        assert self.transport is not None
        self.seq += 1
        message = {"type": "command", "seq": self.seq, "command": {"cmd": "set_users", "users": users}}
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting = (f'"users":{users},'.encode(), time.perf_counter(), future)
        self.transport.write(_client_frame(0x1, json.dumps(message).encode()))
        return future

    def close(self) -> None:
        if self.transport is not None:
            self.transport.write(_client_frame(0x8, (1000).to_bytes(2, "big")))
            self.transport.close()


async def connect_all(visitors: list[tuple[str, str, str]], port: int, stats: Stats) -> list[LabSocket]:
    loop = asyncio.get_running_loop()
    sockets: list[LabSocket] = []
    batch = 25
    for index in range(0, len(visitors), batch):
        chunk = visitors[index : index + batch]
        made = [
            loop.create_connection(lambda c=c, p=p, s=s: LabSocket(p, c, port, s, stats), HOST, port)
            for c, p, s in chunk
        ]
        for _transport, protocol in await asyncio.gather(*made):
            sockets.append(protocol)
        await asyncio.gather(*(asyncio.wait_for(s.opened, 30) for s in sockets[index:]))
        await asyncio.sleep(0.1)  # spread the labs' tick phases, as real visitors arrive
    return sockets


async def probe_latency(sockets: list[LabSocket], *, seconds: float, probes: int) -> list[float]:
    """Probe sockets send set_users (each about once a second, at random moments) and time the
    first frame that carries the new value."""
    chosen = random.Random(7).sample(sockets, min(probes, len(sockets)))
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    counter = iter(range(20_000, 10_000_000, 7))

    async def probe(sock: LabSocket) -> None:
        await asyncio.sleep(random.random())
        while time.perf_counter() < deadline:
            try:
                latencies.append(await asyncio.wait_for(sock.command(next(counter)), 5))
            except TimeoutError:
                latencies.append(float("inf"))
                sock.waiting = None
            await asyncio.sleep(0.5 + random.random())

    await asyncio.gather(*(probe(s) for s in chosen))
    return latencies


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 1)


async def run(
    args: argparse.Namespace, server: Server, visitors: list[tuple[str, str, str]], presets: list[str]
) -> dict[str, Any]:
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:  # type: ignore[operator]
        os.sched_setaffinity(0, {1})
    stats = Stats()
    result: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, load average before start {os.getloadavg()[0]:.2f}",
        "labs": args.labs,
        "server": args.server + SERVER_NOTES.get(args.server, "").format(ws=args.ws),
        "presets": presets,
    }
    try:
        started = time.perf_counter()
        sockets = await connect_all(visitors, server.port, stats)
        print(
            f"{len(sockets)} sockets open in {time.perf_counter() - started:.1f} s; warming up …", flush=True
        )
        await asyncio.sleep(args.warmup)

        # 1 + 2: intervals, CPU, sizes
        spy = None
        if args.py_spy:  # sample the server during the window (py-spy from PyPI, on the client's core)
            spy = subprocess.Popen(
                [args.py_spy, "record", "-p", str(server.pid), "-d", str(int(args.seconds)), "-r", "200"]
                + ["--format", "raw", "-o", args.profile_out],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        split = _cpu_split(server.pid)
        cpu_server, cpu_client, wall = _cpu_seconds(server.pid), time.process_time(), time.perf_counter()
        stats.measuring = True
        await asyncio.sleep(args.seconds)
        stats.measuring = False
        if spy is not None:
            await asyncio.to_thread(spy.wait)
        wall = time.perf_counter() - wall
        server_cpu = (_cpu_seconds(server.pid) - cpu_server) / wall
        server_system = (_cpu_split(server.pid)[1] - split[1]) / wall
        client_cpu = (time.process_time() - cpu_client) / wall
        intervals = stats.intervals
        result["frames"] = {
            "window_s": round(wall, 1),
            "frames_per_s": round(stats.frames / wall),
            "expected_per_s": args.labs * 10,
            "interval_ms": {
                "p50": _ms(_percentile(intervals, 0.5)),
                "p95": _ms(_percentile(intervals, 0.95)),
                "p99": _ms(_percentile(intervals, 0.99)),
                "max": _ms(max(intervals) if intervals else float("nan")),
            },
            "server_cpu_core": round(server_cpu, 3),
            "server_cpu_us_per_frame": round(server_cpu / max(stats.frames / wall, 1e-9) * 1e6),
            "server_system_share": round(server_system / max(server_cpu, 1e-9), 2),
            "client_cpu_core": round(client_cpu, 3),
            "closed_sockets": stats.closed,
            "close_codes": dict(stats.close_codes),
        }
        result["sizes"] = {
            preset: {
                "median_delta_bytes": int(statistics.median(stats.delta_sizes[preset])),
                "p95_delta_bytes": int(_percentile(stats.delta_sizes[preset], 0.95)),
                "keyframe_bytes": int(statistics.median(stats.key_sizes.get(preset) or [0])),
            }
            for preset in presets
            if stats.delta_sizes.get(preset)
        }
        print(json.dumps(result["frames"]), flush=True)

        # 3: command to visible change, at full load, then at moderate load
        result["command"] = {}
        for load in (args.labs, args.moderate):
            if load < len(sockets):
                for sock in sockets[load:]:
                    sock.close()
                sockets = sockets[:load]
                await asyncio.sleep(5)  # the closed labs' runners stop (grace), load settles
            cpu_server, wall = _cpu_seconds(server.pid), time.perf_counter()
            latencies = await probe_latency(sockets, seconds=args.probe_seconds, probes=args.probes)
            wall = time.perf_counter() - wall
            finite = [v for v in latencies if v != float("inf")]
            result["command"][str(load)] = {
                "labs": load,
                "commands": len(latencies),
                "lost": len(latencies) - len(finite),
                "p50_ms": _ms(_percentile(finite, 0.5)),
                "p95_ms": _ms(_percentile(finite, 0.95)),
                "p99_ms": _ms(_percentile(finite, 0.99)),
                "server_cpu_core": round((_cpu_seconds(server.pid) - cpu_server) / wall, 3),
            }
            print(json.dumps(result["command"][str(load)]), flush=True)
        for sock in sockets:
            sock.close()
    finally:
        server.stop()
    return result


def report(result: dict[str, Any]) -> str:
    frames, interval = result["frames"], result["frames"]["interval_ms"]
    lines = [
        f"Measured {result['date']} on {result['machine']}.",
        f"{result['labs']} live labs ({len(result['presets'])} presets in turn) on one {result['server']} "
        f"pinned to core 0, client on core 1, {frames['window_s']} s window:",
        f"- frame interval p50 {interval['p50']} ms, p95 {interval['p95']} ms, p99 {interval['p99']} ms "
        f"(max {interval['max']} ms); {frames['frames_per_s']} frames/s "
        f"of {frames['expected_per_s']} expected",
        f"- server CPU {frames['server_cpu_core'] * 100:.0f}% of one core "
        f"({frames['server_cpu_us_per_frame']} µs per frame sent, {frames['server_system_share']:.0%} of it "
        "in the kernel); client CPU "
        f"{frames['client_cpu_core'] * 100:.0f}% of the other; sockets closed: {frames['closed_sockets']} "
        f"{frames['close_codes'] or ''}",
    ]
    for load, figures in result["command"].items():
        lines.append(
            f"- command → first frame showing it, {load} labs: p50 {figures['p50_ms']} ms, "
            f"p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms ({figures['commands']} commands, "
            f"{figures['lost']} unanswered; server CPU {figures['server_cpu_core'] * 100:.0f}%)"
        )
    lines += ["", "| preset | median delta (bytes) | p95 delta | keyframe |", "| --- | ---: | ---: | ---: |"]
    for preset, sizes in result["sizes"].items():
        row = (sizes["median_delta_bytes"], sizes["p95_delta_bytes"], sizes["keyframe_bytes"])
        lines.append(f"| {preset} | {row[0]} | {row[1]} | {row[2]} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labs", type=int, default=500)
    parser.add_argument("--moderate", type=int, default=100, help="labs left running for the second probe")
    parser.add_argument("--seconds", type=float, default=30.0, help="frame-interval window")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--probes", type=int, default=20, help="sockets sending commands")
    parser.add_argument("--probe-seconds", type=float, default=20.0)
    parser.add_argument(
        "--preset", default="lessons", help="lessons (the 11 lesson presets in turn), all (with full), or one"
    )
    parser.add_argument(
        "--server",
        choices=("daphne", "daphne-asyncio", "uvicorn"),
        default="daphne",
        help="the ASGI server: daphne on uvloop as make run starts it, plain daphne, or uvicorn",
    )
    parser.add_argument("--ws", default="auto", help="uvicorn's WebSocket implementation (--ws)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--py-spy", default="", help="path to py-spy: profile the server in the window")
    parser.add_argument("--profile-out", default="/tmp/bench_lab.collapsed")
    args = parser.parse_args()
    server = Server(core=0, server=args.server, ws=args.ws)
    server.prepare()
    from sandbox.engine import PRESETS

    lessons = [name for name in PRESETS if name != "full"]
    presets = {"lessons": lessons, "all": list(PRESETS)}.get(args.preset, [args.preset])
    print(f"preparing {args.labs} visitors and labs ({', '.join(presets)}) …", flush=True)
    visitors = make_visitors(server.env, presets, args.labs)
    server.start()
    result = asyncio.run(run(args, server, visitors, presets))
    print()
    print(json.dumps(result, indent=2) if args.json else report(result))


if __name__ == "__main__":
    main()
