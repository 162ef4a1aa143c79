"""ScaleLab's simulation engine: a pure-Python library (no Django, channels or rq).

    sim = Simulation.from_preset("web-tier", seed=1)
    sim.apply({"cmd": "fail_node", "node": "web-2"})
    sim.step(10)                       # one simulated second
    frame = FrameEncoder(sim).frame()  # what the browser gets
    sim.metrics()["sessions_lost"]

See docs/protocol.md for the command and frame protocol.
"""

from sandbox.engine.commands import (
    COMMAND_SPECS,
    CONTROL_GROUPS,
    Command,
    CommandError,
    CommandSpec,
    FieldSpec,
    parse_command,
)
from sandbox.engine.frames import FrameEncoder
from sandbox.engine.messages import render
from sandbox.engine.presets import PRESETS, PresetSpec
from sandbox.engine.scenario import Scenario
from sandbox.engine.simulation import Event, Simulation

__all__ = [
    "COMMAND_SPECS",
    "CONTROL_GROUPS",
    "PRESETS",
    "Command",
    "CommandError",
    "CommandSpec",
    "Event",
    "FieldSpec",
    "FrameEncoder",
    "PresetSpec",
    "Scenario",
    "Simulation",
    "parse_command",
    "render",
]
