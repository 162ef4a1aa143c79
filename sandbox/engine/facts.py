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
    def servers(self) -> int:
        """Requests the machine works on at once: one per vCPU (an M/M/c queue with c = vCPUs)."""
        return self.vcpus

    @property
    def service_rate_rps(self) -> float:
        """Requests per second one vCPU finishes (μ): the machine's capacity shared by its vCPUs."""
        return self.capacity_rps / self.vcpus

    @property
    def service_time_ms(self) -> float:
        """Mean time one vCPU spends on a request (1/μ), in milliseconds."""
        return 1000.0 / self.service_rate_rps

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
    MachineSize(
        "db-24tb", vcpus=448, ram_gb=LARGEST_DB_RAM_TB * 1024, capacity_rps=100_000, cost_per_hour=218.00
    ),
)

SMALLEST_WEB_SIZE: Final = WEB_SIZES[0]
LARGEST_WEB_SIZE: Final = WEB_SIZES[-1]
LARGEST_DB_SIZE: Final = DB_SIZES[-1]

# --- Requests, queues and smoothing
DEFAULT_REQUESTS_PER_USER_S: Final = 0.01  # one request every 100 s per active user
REQUEST_TIMEOUT_S: Final = 2.0  # a request that would wait longer in a queue is dropped (the queue bound)
SMOOTHING_TAU_S: Final = 1.0  # arrival rates are smoothed (EWMA) over about this long before the formulas

# --- Scaling up and out
SERVER_START_S: Final = 3.0  # an added or recovered server joins after booting this long
RESIZE_DOWNTIME_S: Final = 3.0  # changing a machine's size restarts it: down this long
DRAIN_TIMEOUT_S: Final = 30.0  # a draining server is removed after this long; sessions still on it are lost

# --- Load balancer and sessions
LB_CAPACITY_RPS: Final = 150_000.0  # what one load balancer can forward
LB_STICKY_CAPACITY_FACTOR: Final = 0.8  # sticky sessions burden the load balancer: it forwards less
LB_COST_PER_HOUR: Final = 0.03
SESSION_LENGTH_S: Final = 600.0  # mean time a user's session lives (log-in to log-out)
SESSION_STORE_CAPACITY_RPS: Final = 128_000.0  # a shared session store (Redis-like) answers this many lookups
SESSION_STORE_LOOKUP_MS: Final = 0.5  # one session lookup in the shared store
SESSION_STORE_COST_PER_HOUR: Final = 0.20

# --- Database replication
REPLICATION_NETWORK_MS: Final = 5.0  # one network hop from master to replica
# A replica applies the master's writes one after another, at up to its size's capacity_rps.

# --- Cache
CACHE_KEYSPACE: Final = 1_000_000  # distinct keys the application reads
ZIPF_ALPHA: Final = 0.9  # key popularity: the i-th most popular key is read ∝ 1/i^α
CACHE_DEFAULT_SIZE_KEYS: Final = 10_000
CACHE_DEFAULT_TTL_S: Final = 300.0
CACHE_NODE_CAPACITY_RPS: Final = 100_000.0
CACHE_LOOKUP_MS: Final = 0.3
CACHE_COST_PER_HOUR: Final = 0.10  # per cache node, plus the memory below
CACHE_COST_PER_MILLION_KEYS_HOUR: Final = 0.50

# --- CDN
CDN_HIT_RATIO: Final = 0.95  # share of static requests the edge answers without asking the origin
CDN_EDGE_RTT_MS: Final = 10.0  # round trip from a user to the nearest CDN edge, in any region
CDN_CAPACITY_RPS: Final = 1_000_000.0
CDN_COST_PER_MILLION_REQUESTS: Final = 0.75

# --- Regions and data centers
REGIONS: Final = ("ap-northeast", "us-east", "eu-west")
# Round trip (ms) from users in one region to a data center in another (same region: last mile only).
REGION_RTT_MS: Final = {
    ("ap-northeast", "ap-northeast"): 20.0,
    ("us-east", "us-east"): 20.0,
    ("eu-west", "eu-west"): 20.0,
    ("ap-northeast", "us-east"): 170.0,
    ("ap-northeast", "eu-west"): 250.0,
    ("us-east", "eu-west"): 80.0,
}
RTT_SEOUL_FRANKFURT_MS: Final = REGION_RTT_MS[
    ("ap-northeast", "eu-west")
]  # the farthest pair (lessons 10, 11)
MAX_DATA_CENTERS: Final = len(REGIONS)
DC_FAILOVER_S: Final = 5.0  # GeoDNS notices a dead data center and reroutes its users after this long

# --- Message queue
QUEUE_CAPACITY_RPS: Final = 50_000.0  # messages per second the queue accepts
QUEUE_MAX_MESSAGES: Final = 10_000_000  # durable, on disk: only beyond this are messages lost
QUEUE_COST_PER_HOUR: Final = 0.15
CONSUMER_RATE: Final = 50.0  # messages per second one consumer processes
CONSUMER_COST_PER_HOUR: Final = 0.10

# --- Sharding
SHARD_VNODES: Final = 100  # virtual nodes per shard on the consistent-hashing ring
SHARD_KEY_SAMPLE: Final = 4_096  # keys hashed to measure per-shard share and keys moved by resharding

# --- Automation
AUTOSCALE_CHECK_S: Final = 1.0  # autoscaling rules are evaluated this often
AUTOSCALE_SCALE_IN_FACTOR: Final = 0.5  # scale in when utilisation falls below target × this


def region_rtt_ms(a: str, b: str) -> float:
    """Round trip between users in region `a` and a data center in region `b` (symmetric)."""
    return REGION_RTT_MS[(a, b)] if (a, b) in REGION_RTT_MS else REGION_RTT_MS[(b, a)]
