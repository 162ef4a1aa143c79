"""Frames (keyframe + compact deltas), determinism and exact snapshots."""

from __future__ import annotations

import hashlib
import json
import statistics
from typing import Any

import pytest

from sandbox.engine import PRESETS, FrameEncoder, Scenario, Simulation
from sandbox.engine.frames import EDGE_FIELDS, METRIC_FIELDS, NODE_FIELDS
from sandbox.engine.presets import LESSON_PRESETS

SCRIPT = [
    (2.0, {"cmd": "set_users", "users": 300_000}),
    (4.0, {"cmd": "fail_node", "node": "web-2"}),
    (5.0, {"cmd": "add_server", "tier": "web"}),
    (6.0, {"cmd": "fail_node", "node": "db-1"}),
    (8.0, {"cmd": "set_cache", "enabled": False}),
    (9.0, {"cmd": "set_traffic", "pattern": "spike", "spike_factor": 3.0}),
    (12.0, {"cmd": "recover_node", "node": "web-2"}),
]


def frame_stream(preset: str, seed: int, seconds: float = 15.0) -> list[str]:
    sim = Simulation.from_preset(preset, seed=seed)
    encoder = FrameEncoder(sim, lang="en")
    frames = [FrameEncoder.encode(encoder.frame())]
    for _ in Scenario.from_list(SCRIPT).play(sim, round(seconds * 10)):
        frames.append(FrameEncoder.encode(encoder.frame()))
    return frames


def digest(frames: list[str]) -> str:
    return hashlib.sha256("\n".join(frames).encode()).hexdigest()


class Decoder:
    """What the browser does: keep the keyframe's state and apply deltas to it."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}

    def apply(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "key":
            self.state = json.loads(json.dumps(frame))
            return
        state = self.state
        for key, rows in (
            ("n", state["state"]["nodes"]),
            ("e", state["state"]["edges"]),
            ("d", state["state"]["dcs"]),
        ):
            for change in frame.get(key, []):
                row = rows[change[0]]
                for k in range(1, len(change), 2):
                    row[change[k]] = change[k + 1]
        metrics = frame.get("m", [])
        for k in range(0, len(metrics), 2):
            state["metrics"][metrics[k]] = metrics[k + 1]
        if "s" in frame:
            state["settings"] = frame["s"]
        state["tick"] = frame["tick"]


def test_same_seed_and_commands_give_an_identical_frame_stream() -> None:
    assert digest(frame_stream("full", 7)) == digest(frame_stream("full", 7))


def test_a_scenario_applies_each_command_when_its_time_comes() -> None:
    sim = Simulation.from_preset("full")
    errors: list[dict[str, object]] = []
    script = [*SCRIPT, (3.0, {"cmd": "fail_node", "node": "web-99"})]
    applied = {}
    for done in Scenario.from_list(script).play(sim, 130, errors=errors):
        for event in sim.events_since(0):
            applied.setdefault(event.key, done)
    assert applied["users_changed"] == 21 and applied["master_failed"] == 61
    assert [e["key"] for e in errors] == ["node_unknown"] and errors[0]["t"] == 3.0


def test_another_seed_gives_another_run() -> None:
    assert digest(frame_stream("full", 7)) != digest(frame_stream("full", 8))


def test_deltas_applied_to_the_keyframe_rebuild_the_state() -> None:
    sim = Simulation.from_preset("full", seed=3)
    encoder = FrameEncoder(sim, latency_every_ticks=1)
    decoder = Decoder()
    for _ in Scenario.from_list(SCRIPT).play(sim, 150):
        frame = json.loads(FrameEncoder.encode(encoder.frame()))
        decoder.apply(frame)
        truth = FrameEncoder(sim).keyframe()
        assert decoder.state["state"] == json.loads(json.dumps(truth["state"]))
        assert decoder.state["metrics"] == json.loads(json.dumps(truth["metrics"]))
        assert decoder.state["settings"] == json.loads(json.dumps(truth["settings"]))


def test_latency_percentiles_are_refreshed_at_two_hertz() -> None:
    sim = Simulation.from_preset("web-tier")
    encoder = FrameEncoder(sim)
    encoder.frame()
    p95 = METRIC_FIELDS.index("p95_ms")
    refreshed = []
    for _ in range(20):
        sim.apply({"cmd": "set_users", "users": 20_000 + 1_000 * sim.tick})
        sim.step()
        frame = encoder.frame()
        refreshed.append(p95 in frame.get("m", [])[::2])  # type: ignore[index]
    assert refreshed == [tick % 5 == 4 for tick in range(20)]


def test_a_keyframe_describes_the_topology() -> None:
    sim = Simulation.from_preset("db-replication")
    frame = FrameEncoder(sim).frame()
    assert frame["type"] == "key"
    assert frame["fields"] == {
        "node": list(NODE_FIELDS),
        "edge": list(EDGE_FIELDS),
        "metrics": list(METRIC_FIELDS),
        "dc": ["status"],
    }
    nodes = {n["id"]: n for n in frame["nodes"]}  # type: ignore[union-attr]
    assert nodes["db-1"]["role"] == "master" and nodes["db-2"]["role"] == "replica"
    assert nodes["web-1"]["size"] == "m" and nodes["web-1"]["dc"] == "dc-1"
    assert {"from": "db-1", "to": "db-2", "kinds": ["write"]} in frame["edges"]  # type: ignore[operator]
    assert len(frame["state"]["nodes"]) == len(frame["nodes"])  # type: ignore[index,arg-type]
    assert frame["controls"] == list(PRESETS["db-replication"].controls)


def test_a_topology_change_sends_a_keyframe_and_events_ride_along() -> None:
    sim = Simulation.from_preset("web-tier")
    encoder = FrameEncoder(sim, lang="ko")
    encoder.frame()
    sim.step()
    assert encoder.frame()["type"] == "delta"
    sim.apply({"cmd": "fail_node", "node": "web-2"})
    sim.step()
    delta = encoder.frame()
    assert delta["type"] == "delta"
    keys = [e["key"] for e in delta["ev"]]  # type: ignore[union-attr]
    assert keys == ["node_failed", "sessions_lost"]
    assert "장애" in delta["ev"][0]["text"]  # type: ignore[index]
    sim.apply({"cmd": "add_server", "tier": "web"})
    sim.step()
    assert encoder.frame()["type"] == "key"


@pytest.mark.parametrize("preset", LESSON_PRESETS)
def test_median_delta_of_a_lesson_preset_is_under_one_kilobyte(preset: str) -> None:
    sim = Simulation.from_preset(preset)
    encoder = FrameEncoder(sim, lang="ko")
    encoder.frame()
    sizes: list[int] = []
    for _ in Scenario.from_list(PRESETS[preset].scenario).play(sim, 400):
        frame = encoder.frame()
        if frame["type"] == "delta":
            sizes.append(len(FrameEncoder.encode(frame).encode()))
    assert statistics.median(sizes) <= 1024


def snapshot_then_continue(sim: Simulation, seconds: float) -> tuple[list[str], dict[str, Any]]:
    encoder = FrameEncoder(sim)
    frames = [FrameEncoder.encode(encoder.frame(keyframe=True))]
    for _ in range(round(seconds * 10)):
        sim.step()
        frames.append(FrameEncoder.encode(encoder.frame()))
    return frames, sim.metrics()


@pytest.mark.parametrize("preset", list(PRESETS))
def test_a_snapshot_continues_exactly_like_the_original(preset: str) -> None:
    sim = Simulation.from_preset(preset, seed=5)
    for at, raw in PRESETS[preset].scenario:
        sim.step(round(at * 10) - sim.tick)
        sim.apply(raw)
    sim.step(15)
    snap = json.loads(json.dumps(sim.snapshot(), allow_nan=False))
    copy = Simulation.from_snapshot(snap)
    assert copy.snapshot() == sim.snapshot()
    original = snapshot_then_continue(sim, 20)
    restored = snapshot_then_continue(copy, 20)
    assert original == restored


def test_taking_a_snapshot_does_not_change_the_run() -> None:
    def run(snapshot_at: int | None) -> list[str]:
        sim = Simulation.from_preset("full", seed=2)
        encoder = FrameEncoder(sim)
        frames = []
        for tick in range(200):
            if tick == 50:
                sim.apply({"cmd": "fail_node", "node": "db-1"})
            if tick == snapshot_at:
                sim = Simulation.from_snapshot(json.loads(json.dumps(sim.snapshot())))
                encoder.sim = sim
            sim.step()
            frames.append(FrameEncoder.encode(encoder.frame()))
        return frames

    assert run(None) == run(60) == run(120)


def test_snapshot_of_a_fresh_lab_is_small_enough_to_store() -> None:
    assert len(json.dumps(Simulation.from_preset("full").snapshot())) < 60_000
