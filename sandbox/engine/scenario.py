"""Scenarios: a timeline of (time, command), run faster than real time (grading, the CLI, lessons).

Times are seconds of simulated time from the start of the run. A command is applied before the
first tick that starts at or after its time; commands with the same time keep their order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.engine import facts
from sandbox.engine.commands import Command, CommandError, parse_command
from sandbox.engine.simulation import Simulation


@dataclass(frozen=True)
class Scenario:
    steps: tuple[tuple[float, Command], ...] = ()

    @classmethod
    def from_list(cls, items: Iterable[tuple[float, Mapping[str, object] | Command]]) -> Scenario:
        """Validate every command now (CommandError names the bad one) and order them by time."""
        steps: list[tuple[float, Command]] = []
        for at, raw in items:
            if not isinstance(at, int | float) or isinstance(at, bool) or at < 0:
                raise CommandError("field_out_of_range", field="t", allowed=[0, None], value=at)
            steps.append((float(at), parse_command(raw)))
        steps.sort(key=lambda step: step[0])
        return cls(tuple(steps))

    def to_list(self) -> list[dict[str, object]]:
        return [{"t": at, "command": command.to_raw()} for at, command in self.steps]

    def play(
        self,
        sim: Simulation,
        ticks: int,
        *,
        errors: list[dict[str, object]] | None = None,
        lang: str | None = None,
    ) -> Iterator[int]:
        """Advance `sim` tick by tick for `ticks` ticks, applying each command when its time comes
        (times count from the first tick played); yield the number of ticks done after each.
        A refused command is appended to `errors` (if given) and the run goes on."""
        pending = list(self.steps)
        for done in range(ticks):
            now = done / facts.TICKS_PER_SECOND
            while pending and pending[0][0] <= now + 1e-9:
                _at, command = pending.pop(0)
                try:
                    sim.apply(command)
                except CommandError as error:
                    if errors is not None:
                        errors.append({"t": now, "command": command.to_raw(), **error.to_dict(lang)})
            sim.step()
            yield done + 1

    def run(
        self, sim: Simulation, seconds: float, *, every_s: float = 1.0, lang: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Advance `sim` by `seconds`, applying the commands on time; yield metrics every `every_s`
        with the events logged since the previous record (`events`) and any refused command
        (`errors`, which do not stop the run). In these records `error_rate` and `availability`
        are averages over the interval, not the last tick's."""
        start_tick = sim.tick
        total_ticks = round(seconds * facts.TICKS_PER_SECOND)
        every_ticks = max(1, round(every_s * facts.TICKS_PER_SECOND))
        event_seq = sim.event_seq
        requests_before, errors_before = sim.requests_total, sim.errors_total
        errors: list[dict[str, object]] = []
        for done in self.play(sim, total_ticks, errors=errors, lang=lang):
            if done % every_ticks and done != total_ticks:
                continue
            record = dict(sim.metrics())
            record["t"] = round((sim.tick - start_tick) / facts.TICKS_PER_SECOND, 3)
            requests = sim.requests_total - requests_before
            failed = sim.errors_total - errors_before
            requests_before, errors_before = sim.requests_total, sim.errors_total
            record["error_rate"] = round(min(1.0, failed / requests), 6) if requests > 0 else 0.0
            record["availability"] = round(1.0 - record["error_rate"], 6)
            record["events"] = [event.to_dict(lang) for event in sim.events_since(event_seq)]
            event_seq = sim.event_seq
            if errors:
                record["errors"] = list(errors)
                errors.clear()
            yield record
