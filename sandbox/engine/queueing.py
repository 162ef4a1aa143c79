"""Closed-form queueing formulas (M/M/c) used by the engine, the lesson charts and the oracles.

Notation: `arrival_rate` λ (requests/s), `service_rate` μ per server (requests/s), `servers` c,
offered load a = λ/μ (Erlangs), utilisation ρ = a/c. Every formula here is for ρ < 1; the
engine handles ρ ≥ 1 with backlog dynamics instead (see `node.py`, which uses these formulas).
"""

from __future__ import annotations

import math


def erlang_b(servers: int, offered_load: float) -> float:
    """Blocking probability of an M/M/c/c loss system, by the stable O(c) recursion."""
    if servers < 0:
        raise ValueError("servers must be >= 0")
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    return blocking


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arriving request waits (M/M/c); 1.0 when the system is saturated."""
    if servers <= 0:
        return 1.0
    rho = offered_load / servers
    if rho >= 1.0:
        return 1.0
    blocking = erlang_b(servers, offered_load)
    return blocking / (1.0 - rho + rho * blocking)


def mean_wait_s(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue Wq = C / (cμ − λ); infinite at or above saturation."""
    spare = servers * service_rate - arrival_rate
    if spare <= 0:
        return math.inf
    return erlang_c(servers, arrival_rate / service_rate) / spare


def mean_response_s(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean response time T = Wq + 1/μ."""
    return mean_wait_s(arrival_rate, service_rate, servers) + 1.0 / service_rate


def wait_quantile_s(arrival_rate: float, service_rate: float, servers: int, p: float) -> float:
    """p-quantile of the queue wait: P(Wq > t) = C·e^{−(cμ−λ)t}."""
    spare = servers * service_rate - arrival_rate
    if spare <= 0:
        return math.inf
    wait_probability = erlang_c(servers, arrival_rate / service_rate)
    if wait_probability <= 1.0 - p:
        return 0.0
    return math.log(wait_probability / (1.0 - p)) / spare


def response_tail(arrival_rate: float, service_rate: float, servers: int, t: float) -> float:
    """P(T > t) for the M/M/c response time (wait + service)."""
    spare = servers * service_rate - arrival_rate
    return mmc_response_tail(t, erlang_c(servers, arrival_rate / service_rate), service_rate, spare)


def mmc_response_tail(t: float, wait_probability: float, service_rate: float, spare: float) -> float:
    """P(T > t) given the waiting probability C and the spare rate cμ − λ (the engine keeps both)."""
    if t <= 0.0:
        return 1.0
    mu = service_rate
    e_mu = math.exp(-mu * t)
    if wait_probability <= 0.0:
        return e_mu
    d = spare - mu
    if abs(d) < 1e-9 * max(1.0, mu):
        return e_mu * (1.0 + wait_probability * mu * t)
    return e_mu + wait_probability * mu / d * (e_mu - math.exp(-spare * t))


def response_quantile_s(arrival_rate: float, service_rate: float, servers: int, p: float) -> float:
    """p-quantile of the M/M/c response time, by bisection on `response_tail`."""
    if servers * service_rate - arrival_rate <= 0:
        return math.inf
    target = 1.0 - p
    low, high = 0.0, 1.0 / service_rate
    while response_tail(arrival_rate, service_rate, servers, high) > target:
        high *= 2.0
    for _ in range(60):
        middle = (low + high) / 2.0
        if response_tail(arrival_rate, service_rate, servers, middle) > target:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0
