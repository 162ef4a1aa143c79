"""Benchmark: the simulation engine's speed goals (issue 3), printed as figures.

Run: .venv/bin/python -m tests.bench.bench_engine [--quick]

1. One tick of a 50-node topology (median, µs); the same at 1 user and at 10,000,000 users.
2. One simulated hour (36,000 ticks) of a 50-node scenario (diurnal traffic, failures, recoveries).
3. Side by side with Ciw (a discrete-event simulator) on the same small network at 10,000
   requests/s for the same simulated time: wall-clock time of each and mean latency.
4. Frames: median delta size of each lesson preset while its default scenario plays, keyframe
   size; the cost of encoding a frame and of `metrics()` for the 50-node topology.
5. A live lab's engine work per frame (tick + delta + JSON), for each lesson preset alone and
   for 300 lesson labs ticking in turn as one server process runs them (CPU time; the second
   is what a server pays, its caches shared by hundreds of labs).

Timing is process CPU time where a figure is per tick (other processes on the machine do not
inflate it) and wall-clock time for whole runs. Nothing here asserts: it prints.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
from collections.abc import Callable

from sandbox.engine import PRESETS, FrameEncoder, Scenario, Simulation, facts
from sandbox.engine.presets import LESSON_PRESETS
from tests.engine.des import ciw_mean_latency_s, engine_mean_latency_s, engine_network, small_network

HOUR_TICKS = 3600 * facts.TICKS_PER_SECOND


def fifty_nodes(users: int | None = None, seed: int = 1) -> Simulation:
    """The full lab grown to exactly 50 nodes: 3 data centers, CDN, caches, replicas, queue, consumers."""
    sim = Simulation.from_preset("full", seed=seed, users=users)
    sim.apply({"cmd": "set_autoscaling", "tier": "web", "enabled": False})  # a fixed topology
    sim.apply({"cmd": "set_autoscaling", "tier": "worker", "enabled": False})
    sim.apply({"cmd": "add_data_center", "region": "eu-west"})
    for dc in ("dc-1", "dc-2", "dc-3"):
        for _ in range(2):
            sim.apply({"cmd": "add_server", "tier": "web", "dc": dc})
    while len(sim.nodes) < 50:
        sim.apply({"cmd": "set_consumers", "count": len(sim.workers) + 1})
    sim.step(10 * facts.TICKS_PER_SECOND)
    assert len(sim.nodes) == 50, len(sim.nodes)
    return sim


def tick_times_us(sim: Simulation, ticks: int) -> list[float]:
    """CPU time of each of `ticks` single ticks, in µs."""
    clock = time.process_time_ns
    out = []
    for _ in range(ticks):
        start = clock()
        sim.step()
        out.append((clock() - start) / 1000.0)
    return out


def batch_median_us(sim: Simulation, batches: int, size: int = 100) -> float:
    """Median over batches of the mean CPU time per tick (µs): robust to the clock's resolution."""
    clock = time.process_time_ns
    means = []
    for _ in range(batches):
        start = clock()
        sim.step(size)
        means.append((clock() - start) / 1000.0 / size)
    return statistics.median(means)


def hour_scenario() -> Scenario:
    steps: list[tuple[float, dict[str, object]]] = [
        (0.0, {"cmd": "set_traffic", "pattern": "diurnal", "period_s": 600.0}),
    ]
    for minute in range(5, 60, 10):
        at = minute * 60.0
        steps += [
            (at, {"cmd": "fail_node", "node": "web-2"}),
            (at + 60, {"cmd": "recover_node", "node": "web-2"}),
            (at + 120, {"cmd": "fail_node", "node": "cache-1"}),
            (at + 180, {"cmd": "recover_node", "node": "cache-1"}),
        ]
    steps += [
        (1800.0, {"cmd": "fail_node", "node": "db-1"}),
        (2400.0, {"cmd": "recover_node", "node": "db-1"}),
    ]
    return Scenario.from_list(steps)


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def delta_sizes(preset: str, ticks: int = 400) -> tuple[float, int, int]:
    """(median delta bytes, largest delta bytes, keyframe bytes) while the preset's scenario plays."""
    sim = Simulation.from_preset(preset)
    encoder = FrameEncoder(sim, lang="ko")
    keyframe = len(FrameEncoder.encode(encoder.frame()).encode())
    sizes = []
    for _ in Scenario.from_list(PRESETS[preset].scenario).play(sim, ticks):
        frame = encoder.frame()
        if frame["type"] == "delta":
            sizes.append(len(FrameEncoder.encode(frame).encode()))
    return statistics.median(sizes), max(sizes), keyframe


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    args = parser.parse_args()
    reps = 1 if args.quick else 3

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"# Engine benchmark — {datetime.date.today()} — Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, load average {load}"
    )

    # 1. tick cost
    sim = fifty_nodes()
    print(f"\n50-node topology: {len(sim.nodes)} nodes, {len(sim.edges)} edges")
    by_users = {}
    for users in (1, 10_000_000):
        lab = fifty_nodes(users)
        tick_times_us(lab, 500)  # warm
        singles = tick_times_us(lab, 5000 if not args.quick else 1000)
        batches = batch_median_us(lab, 50 if not args.quick else 10)
        by_users[users] = (statistics.median(singles), batches)
        print(
            f"  tick at {users:>10,} users: median {statistics.median(singles):6.1f} µs per tick "
            f"(single ticks), {batches:6.1f} µs (median of 100-tick batches)"
        )
    ratio = by_users[10_000_000][1] / by_users[1][1]
    print(f"  tick(10,000,000 users) / tick(1 user) = {ratio:.2f}")

    # 2. one simulated hour
    hours, cpu = [], []
    for _ in range(reps):
        lab = fifty_nodes()
        scenario = hour_scenario()
        start_cpu = time.process_time()
        hours.append(timed(lambda lab=lab, scenario=scenario: list(scenario.run(lab, 3600, every_s=60))))
        cpu.append(time.process_time() - start_cpu)
    print(
        f"\nOne simulated hour (36,000 ticks) of the 50-node scenario: wall clock best {min(hours):.2f} s, "
        f"median {statistics.median(hours):.2f} s; CPU time best {min(cpu):.2f} s, "
        f"median {statistics.median(cpu):.2f} s"
    )

    # 3. side by side with Ciw
    rps = 10_000.0
    seconds = 10.0 if not args.quick else 4.0
    start = time.perf_counter()
    lab = engine_network(rps=rps, web_servers=8, web_size="xl", db_size="db-l")
    setup = time.perf_counter() - start
    engine_s = timed(lambda: lab.step(round(seconds * facts.TICKS_PER_SECOND)))
    engine_mean = engine_mean_latency_s(lab)
    net = small_network(lab)
    ciw_mean, served, ciw_s = ciw_mean_latency_s(net, seconds=seconds, warmup_s=1.0)
    print(
        f"\nSmall network at {rps:,.0f} requests/s (LB → 8 web servers → session store → database), "
        f"{seconds:g} simulated s:"
    )
    print(
        f"  ScaleLab: {engine_s * 1000:8.2f} ms for {seconds:g} s ({setup * 1000:.0f} ms to build the lab), "
        f"mean latency {engine_mean * 1000:.3f} ms"
    )
    print(
        f"  Ciw:      {ciw_s * 1000:8.0f} ms for {seconds:g} s ({served:,} requests after warm-up), "
        f"mean latency {ciw_mean * 1000:.3f} ms"
    )
    print(
        f"  ScaleLab is {ciw_s / engine_s:,.0f}× faster; mean latency differs by "
        f"{abs(engine_mean - ciw_mean) / ciw_mean * 100:.2f} %"
    )

    # 4. frames
    print("\nFrames (JSON bytes, Korean event text) while each preset's default scenario plays:")
    print(f"  {'preset':<26}{'median delta':>14}{'largest delta':>15}{'keyframe':>10}")
    for preset in [*LESSON_PRESETS, "full"]:
        median, largest, keyframe = delta_sizes(preset)
        print(f"  {preset:<26}{median:>14.0f}{largest:>15}{keyframe:>10}")
    for preset in ("web-tier", "full"):
        lab = Simulation.from_preset(preset) if preset != "full" else fifty_nodes()
        name = preset if preset != "full" else "50-node topology"
        encoder = FrameEncoder(lab, lang="ko")
        encoder.frame()
        frame_us, metrics_us = [], []
        for _ in range(500):
            lab.step()
            start = time.process_time_ns()
            FrameEncoder.encode(encoder.frame())
            frame_us.append((time.process_time_ns() - start) / 1000)
        for _ in range(100):
            lab.step()
            start = time.process_time_ns()
            lab.metrics()
            metrics_us.append((time.process_time_ns() - start) / 1000)
        print(
            f"  {name}: encoding a frame {statistics.median(frame_us):.0f} µs median, "
            f"{statistics.mean(frame_us):.0f} µs mean (percentiles refreshed every 5th frame); "
            f"metrics() with fresh percentiles {statistics.median(metrics_us):.0f} µs"
        )
    snap_s = timed(lambda: [lab.snapshot() for _ in range(10)]) / 10
    restore_s = timed(lambda: [Simulation.from_snapshot(lab.snapshot()) for _ in range(10)]) / 10
    print(f"  snapshot {snap_s * 1000:.1f} ms, snapshot + restore {restore_s * 1000:.1f} ms")

    # 5. a live lab's engine work per frame
    print("\nA live lab's engine work per frame (tick + delta + JSON text), CPU µs:")
    ticks = 300 if args.quick else 1000
    for preset in LESSON_PRESETS:
        step_us, frame_us = live_frame_us([preset], ticks)
        print(f"  {preset:<26} tick {step_us:5.1f}, tick + frame + JSON {frame_us:6.1f}")
    labs = [LESSON_PRESETS[i % len(LESSON_PRESETS)] for i in range(300)]
    step_us, frame_us = live_frame_us(labs, 10 if args.quick else 40)
    print(f"  300 lesson labs in turn: tick {step_us:.1f}, tick + frame + JSON {frame_us:.1f}")


def live_frame_us(presets: list[str], rounds: int) -> tuple[float, float]:
    """CPU µs per lab per tick, best of three runs: (tick alone, tick + frame + JSON text), with the
    labs of `presets` (seeded apart, phases apart) ticking in turn."""
    labs = []
    for index, preset in enumerate(presets):
        lab = Simulation.from_preset(preset, seed=index + 1)
        lab.step(30 + index % 7)
        encoder = FrameEncoder(lab, lang="ko")
        FrameEncoder.encode(encoder.frame())
        labs.append((lab, encoder))
    best_step = best_frame = float("inf")
    for _ in range(3):
        start = time.process_time()
        for _ in range(rounds):
            for lab, _encoder in labs:
                lab.step()
        middle = time.process_time()
        for _ in range(rounds):
            for lab, encoder in labs:
                lab.step()
                FrameEncoder.encode(encoder.frame())
        end = time.process_time()
        count = rounds * len(labs)
        best_step = min(best_step, (middle - start) / count * 1e6)
        best_frame = min(best_frame, (end - middle) / count * 1e6)
    return best_step, best_frame


if __name__ == "__main__":
    main()
