"""Numbers that appear both in lesson text and in the lab — defined once, here.

Lesson Markdown refers to them as `[[fact:NAME]]` (see lessons/content/README.md); the engine
imports them. Change a number here and the lesson text and the simulation change together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# --- Simulation clock and limits
TICK_S: Final = 0.1  # one tick is 0.1 s of simulated time
TICKS_PER_SECOND: Final = 10
MIN_USERS: Final = 1
MAX_USERS: Final = 10_000_000
MAX_NODES_PER_TIER: Final = 32

# --- From the notes (section 8.1)
LARGEST_DB_RAM_TB: Final = 24  # "Amazon offers servers with 24 TB of RAM"
SINGLE_MASTER_USERS: Final = 10_000_000  # Stack Overflow: ~10 million users on one master for a year

# --- Failure detection and recovery (web tier and database)
HEALTH_CHECK_INTERVAL_S: Final = 2.0  # the load balancer probes each web server this often
MASTER_FAILURE_DETECTION_S: Final = 3.0  # time to notice that the master is gone
REPLICA_PROMOTION_S: Final = 2.0  # time to promote a replica once the failure is noticed


@dataclass(frozen=True)
class MachineSize:
    """One rung of a scale-up ladder: a bigger machine serves more, and costs more than that."""

    name: str
    vcpus: int
    ram_gb: int
    capacity_rps: float  # requests (or queries) per second the machine serves at 100 % utilisation
    cost_per_hour: float  # US dollars

    @property
    def ram_label(self) -> str:
        return f"{self.ram_gb // 1024} TB" if self.ram_gb >= 1024 else f"{self.ram_gb} GB"


# Web/application servers: each rung ~1.9x the capacity for ~2.5x the price, up to a largest size.
WEB_SIZES: Final = (
    MachineSize("xs", vcpus=2, ram_gb=4, capacity_rps=200, cost_per_hour=0.10),
    MachineSize("s", vcpus=4, ram_gb=16, capacity_rps=400, cost_per_hour=0.25),
    MachineSize("m", vcpus=8, ram_gb=32, capacity_rps=780, cost_per_hour=0.62),
    MachineSize("l", vcpus=16, ram_gb=64, capacity_rps=1_500, cost_per_hour=1.55),
    MachineSize("xl", vcpus=32, ram_gb=128, capacity_rps=2_800, cost_per_hour=3.90),
    MachineSize("xxl", vcpus=64, ram_gb=256, capacity_rps=5_000, cost_per_hour=9.80),
)

# Database machines, up to the 24 TB RAM class the notes mention.
DB_SIZES: Final = (
    MachineSize("db-s", vcpus=4, ram_gb=32, capacity_rps=1_000, cost_per_hour=0.50),
    MachineSize("db-m", vcpus=16, ram_gb=128, capacity_rps=4_000, cost_per_hour=2.40),
    MachineSize("db-l", vcpus=64, ram_gb=512, capacity_rps=14_000, cost_per_hour=11.00),
    MachineSize("db-xl", vcpus=192, ram_gb=4_096, capacity_rps=40_000, cost_per_hour=55.00),
    MachineSize("db-24tb", vcpus=448, ram_gb=LARGEST_DB_RAM_TB * 1024, capacity_rps=100_000, cost_per_hour=218.00),
)

LARGEST_WEB_SIZE: Final = WEB_SIZES[-1]
LARGEST_DB_SIZE: Final = DB_SIZES[-1]
