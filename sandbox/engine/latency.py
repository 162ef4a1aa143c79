"""End-to-end latency percentiles: combining per-node distributions along the paths requests take.

A request class (say "read from Seoul, cache miss") follows a *path*: a fixed network delay plus
a sequence of *stages*; a stage is one node, or a choice among nodes (a pool of web servers, the
replicas) with the shares the router gives them. Each node's response time is the M/M/c one
(`Node.latency`): mean m, variance v, and an exact tail.

The approximation (documented in docs/protocol.md):

* Mean and variance of a path are exact for independent stages: means add, variances add, and a
  stage that is a choice among nodes uses the mixture's moments. So mean latency is exact for a
  Jackson network (this is what the Ciw cross-check verifies).
* The *shape* of a path's distribution is taken from its dominant node — the alternative with
  the largest share × variance — scaled and shifted so that the path's mean and variance match:
  T_path ≈ a + b·T_dominant with b = √(Var_path / v_dom), a = Mean_path − b·m_dom. This is exact
  for a path with a single node (so single-node oracles hold for aggregates too) and keeps the
  bottleneck's tail shape, which is what dominates p95/p99 in practice.
* Failed requests are left out: an alternative counts with its share of successful requests
  (none when the node is down), and a path's weight is its request rate times the share that
  gets through every stage.
* The aggregate distribution is the mixture of the paths weighted by their successful request
  rates; p50/p95/p99 solve Σ w_k P(T_k > t) = (1 − p) Σ w_k by bisection. Failed requests are
  not in the latency figures (they are in the error rate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sandbox.engine.node import Node, solve_quantile

Stage = Sequence[tuple[Node, float, float]]  # (node, share, extra fixed delay s)


class Path:
    __slots__ = ("weight", "fixed_s", "stages", "mean_s", "scale", "shift", "dominant")

    def __init__(self, weight: float, fixed_s: float, stages: Sequence[Stage]) -> None:
        self.weight = weight
        self.fixed_s = fixed_s
        self.stages = stages
        self.mean_s = 0.0
        self.scale = 1.0
        self.shift = 0.0
        self.dominant: Node | None = None
        self._fit()

    def _fit(self) -> None:
        mean = self.fixed_s
        variance = 0.0
        best: Node | None = None
        best_score = -1.0
        success = 1.0
        for stage in self.stages:
            total = sum(share for _node, share, _extra in stage)
            if total <= 0.0:
                continue
            # Requests that fail at a node (it is down, or dropping) are not in the latency figures:
            # weigh each alternative by its share of *successful* requests, and the path by the
            # share that gets through this stage.
            kept = [(node, share * _success(node), extra) for node, share, extra in stage]
            ok = sum(share for _node, share, _extra in kept)
            success *= ok / total
            if ok <= 0.0:
                continue
            first = second = 0.0
            for node, share, extra in kept:
                p = share / ok
                latency = node.latency()
                node_mean = latency[4] + extra
                node_var = latency[5]
                first += p * node_mean
                second += p * (node_var + node_mean * node_mean)
                if p * node_var > best_score:
                    best, best_score = node, p * node_var
            mean += first
            variance += max(0.0, second - first * first)
        self.weight *= success
        self.mean_s = mean
        self.dominant = best
        if best is None:
            self.shift, self.scale = mean, 0.0
            return
        dominant = best.latency()
        self.scale = math.sqrt(variance / dominant[5]) if dominant[5] > 0.0 else 1.0
        self.shift = mean - self.scale * dominant[4]

    def tail(self, t: float) -> float:
        if self.dominant is None or self.scale <= 0.0:
            return 1.0 if t < self.shift else 0.0
        return self.dominant.tail((t - self.shift) / self.scale)


def _success(node: Node) -> float:
    """Share of the requests arriving at `node` that it serves (0 when it is down)."""
    if not node.up:
        return 0.0
    if node.lam <= 0.0:
        return 1.0
    return max(0.0, 1.0 - node.dropped / node.lam)


def summarize(paths: Sequence[Path], quantiles: Sequence[float] = (0.5, 0.95, 0.99)) -> dict[str, float]:
    """Mean and quantiles (seconds) of the mixture of `paths` weighted by their rates."""
    live = [path for path in paths if path.weight > 0.0]
    total = sum(path.weight for path in live)
    out: dict[str, float] = {"mean": 0.0}
    for q in quantiles:
        out[f"p{round(q * 100)}"] = 0.0
    if total <= 0.0:
        return out
    out["mean"] = sum(path.weight * path.mean_s for path in live) / total
    scale = max(path.mean_s for path in live)

    def tail(t: float) -> float:
        return sum(path.weight * path.tail(t) for path in live) / total

    for q in quantiles:
        out[f"p{round(q * 100)}"] = solve_quantile(tail, 1.0 - q, scale, rel_tol=1e-4)
    return out
