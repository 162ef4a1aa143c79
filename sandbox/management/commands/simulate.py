"""`python manage.py simulate PRESET ...`: run a lab preset faster than real time and print metrics.

A thin wrapper: arguments are parsed here, the work is `sandbox.engine.cli.simulate`.
"""

from __future__ import annotations

import json
import os
from argparse import ArgumentParser, RawDescriptionHelpFormatter
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sandbox.engine import facts
from sandbox.engine.cli import parse_at, preset_lines, simulate, text_line
from sandbox.engine.commands import CommandError as EngineCommandError
from sandbox.engine.messages import language_from_env, render
from sandbox.engine.presets import PRESETS

EPILOG = """\
COMMAND uses the lab protocol's command names (docs/protocol.md):
  name                     e.g. pause
  name:field=value,...     e.g. fail_node:node=web-2   set_cache:enabled=true,size_keys=50000
  a JSON object            e.g. '{"cmd": "set_traffic", "region_shares": {"us-east": 1}}'

examples:
  manage.py simulate web-tier --seconds 30 --at 10 fail_node:node=web-2 --json
  manage.py simulate db-replication --users 200000 --at 10 fail_node:node=db-1
  manage.py simulate --list-presets
"""


class Command(BaseCommand):
    help = "Run a lab preset faster than real time; print one record per simulated second."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        parser.epilog = EPILOG
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("preset", nargs="?", help=f"one of: {', '.join(PRESETS)}")
        parser.add_argument(
            "--users",
            type=int,
            help=f"active users ({facts.MIN_USERS}..{facts.MAX_USERS:,}; default: the preset's)",
        )
        parser.add_argument(
            "--seconds", type=float, default=60.0, help="simulated seconds to run (default 60)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--at",
            nargs=2,
            action="append",
            default=[],
            metavar=("SECONDS", "COMMAND"),
            help="apply COMMAND at SECONDS of simulated time (repeatable)",
        )
        parser.add_argument(
            "--play", action="store_true", help="also play the preset's default scenario (see --list-presets)"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object per simulated second")
        parser.add_argument("--list-presets", action="store_true", help="list the presets and exit")

    def _fail(self, key: str, lang: str, **params: object) -> None:
        raise CommandError(render(key, params, lang), returncode=2)

    def handle(self, *args: Any, **options: Any) -> None:
        lang = language_from_env(os.environ)
        if options["list_presets"]:
            for line in preset_lines():
                self.stdout.write(line)
            return
        preset = options["preset"]
        if preset not in PRESETS:
            self._fail("cli_unknown_preset", lang, value=preset or "-", allowed=list(PRESETS))
        users = options["users"]
        if users is not None and not facts.MIN_USERS <= users <= facts.MAX_USERS:
            self._fail(
                "cli_bad_number",
                lang,
                field="--users",
                allowed=[facts.MIN_USERS, facts.MAX_USERS],
                value=users,
            )
        seconds = options["seconds"]
        if not 0 < seconds <= 86_400:
            self._fail("cli_bad_number", lang, field="--seconds", allowed=[0.1, 86_400], value=seconds)
        try:
            at = [parse_at(when, text) for when, text in options["at"]]
        except EngineCommandError as error:
            raise CommandError(f"--at: {error.message(lang)}", returncode=2) from None
        refused: list[str] = []
        for record in simulate(
            preset, seconds=seconds, seed=options["seed"], users=users, at=at, play=options["play"], lang=lang
        ):
            refused.extend(f"{error['t']:.1f} s: {error['message']}" for error in record.get("errors", []))
            if options["json"]:
                self.stdout.write(json.dumps(record, ensure_ascii=False))
                continue
            self.stdout.write(text_line(record))
            for event in record["events"]:
                self.stdout.write(f"    [{event['t']:>6.1f}s] {event['severity']:<7} {event['text']}")
            for error in record.get("errors", []):
                self.stdout.write(f"    [{error['t']:>6.1f}s] refused {error['message']}")
        if refused:
            raise CommandError("--at: " + "; ".join(refused), returncode=2)
