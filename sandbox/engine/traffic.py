"""Traffic: how many users, how many requests each, of which kind, from which region, over time.

    users(t)    = users × pattern(t − start)
    requests/s  = users(t) × requests_per_user_s × (1 + wobble(t)), split into static / read /
                  write by the shares and into regions by `region_shares`

Patterns: constant; ramp (0 → 100 % over `ramp_s`); spike (× `spike_factor` for `spike_s`, then
back); diurnal (a compressed day of `period_s`: between 20 % and 100 %). The wobble is a small
AR(1) noise of the request rate (not of the users, whose sessions stay put) from the
simulation's own seeded random generator (`noise` is its standard deviation).
"""

from __future__ import annotations

import math
import random

from sandbox.engine import facts

NOISE_MEMORY = 0.9  # AR(1) coefficient per tick
_NOISE_STEP = math.sqrt(1.0 - NOISE_MEMORY**2) * math.sqrt(3.0)  # uniform(−1, 1) has s.d. 1/√3


class Traffic:
    __slots__ = (
        "users",
        "requests_per_user_s",
        "read_share",
        "write_share",
        "static_share",
        "region_shares",
        "pattern",
        "pattern_start_s",
        "spike_factor",
        "spike_s",
        "ramp_s",
        "period_s",
        "noise",
        "wobble",
    )

    def __init__(self) -> None:
        self.users = 1
        self.requests_per_user_s = facts.DEFAULT_REQUESTS_PER_USER_S
        self.read_share = 0.6
        self.write_share = 0.1
        self.static_share = 0.3
        self.region_shares: dict[str, float] = {facts.REGIONS[0]: 1.0}
        self.pattern = "constant"
        self.pattern_start_s = 0.0
        self.spike_factor = 5.0
        self.spike_s = 20.0
        self.ramp_s = 60.0
        self.period_s = 120.0
        self.noise = 0.0
        self.wobble = 0.0

    def set_mix(self, read: float, write: float, static: float) -> None:
        total = read + write + static
        self.read_share = read / total
        self.write_share = write / total
        self.static_share = static / total

    def set_regions(self, shares: dict[str, float]) -> None:
        total = sum(shares.values())
        self.region_shares = {r: shares[r] / total for r in facts.REGIONS if shares.get(r, 0.0) > 0.0}

    def multiplier(self, t: float) -> float:
        elapsed = t - self.pattern_start_s
        pattern = self.pattern
        if pattern == "constant":
            return 1.0
        if pattern == "ramp":
            return min(1.0, max(0.0, elapsed / self.ramp_s))
        if pattern == "spike":
            return self.spike_factor if 0.0 <= elapsed < self.spike_s else 1.0
        return 0.6 + 0.4 * math.sin(2.0 * math.pi * elapsed / self.period_s)

    def advance_noise(self, rng: random.Random) -> None:
        if self.noise > 0.0:
            self.wobble = NOISE_MEMORY * self.wobble + _NOISE_STEP * self.noise * (2.0 * rng.random() - 1.0)
        else:
            self.wobble = 0.0

    def effective_users(self, t: float) -> float:
        """Active users at time t (the pattern applied; at least one)."""
        return max(1.0, self.users * self.multiplier(t))

    def request_rate(self, users: float) -> float:
        """Requests per second those users send now, with the wobble."""
        return users * self.requests_per_user_s * (1.0 + self.wobble)
