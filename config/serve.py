"""`make run`'s server: daphne, with its event loop from uvloop.

Daphne runs Twisted on an asyncio event loop that it creates the moment `daphne.server` is
imported. Setting uvloop's policy first makes that loop uvloop's (C, on libuv) instead of the
standard library's: the live lab's frames then cost about 10 % less CPU and one process carries
500 labs at 10 Hz within the targets (docs/benchmarks.md, "Live lab"). Everything else is
daphne's own command line:

    python -m config.serve -b 127.0.0.1 -p 8000 config.asgi:application
"""

from __future__ import annotations

import asyncio

import uvloop

asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

from daphne.cli import CommandLineInterface  # noqa: E402 — after the policy: importing it makes the loop

if __name__ == "__main__":
    CommandLineInterface.entrypoint()
