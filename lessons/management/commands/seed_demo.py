"""Create the demo accounts once (idempotent) and print their credentials."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lessons.roles import demo_accounts_ensure


class Command(BaseCommand):
    help = "Create one instructor and one student demo account (once) and print how to log in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Create the accounts but print nothing.")

    def handle(self, *args: Any, quiet: bool = False, **options: Any) -> None:
        accounts = demo_accounts_ensure()
        if quiet:
            return
        self.stdout.write("Demo accounts (change these passwords outside a classroom demo):")
        for account in accounts:
            line = f"  {account.role:<10} user: {account.username:<12} password: {account.password}"
            self.stdout.write(line)
