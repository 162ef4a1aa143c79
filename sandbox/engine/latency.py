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
  rates; p50/p95/p99 solve Σ w_k P(T_k > t) = (1 − p) Σ w_k by Newton's method on the log of the
  tail (the density is closed form too, from the same exponentials), kept inside a bracket that
  falls back to bisection, each quantile starting from the previous one. Failed requests are not
  in the latency figures (they are in the error rate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sandbox.engine.node import Node

Stage = Sequence[tuple[Node, float, float]]  # (node, share, extra fixed delay s)


class Path:
    __slots__ = ("weight", "fixed_s", "stages", "mean_s", "scale", "shift", "dominant", "dominant_latency")

    def __init__(
        self, weight: float, fixed_s: float, stages: Sequence[Stage], fits: dict[int, StageFit] | None = None
    ) -> None:
        """`fits`: the stages' fits computed so far (`fit_stage`), by `id(stage)`, to share among
        the paths of one summary that go through the same stage objects."""
        self.weight = weight
        self.fixed_s = fixed_s
        self.stages = stages
        self.mean_s = 0.0
        self.scale = 1.0
        self.shift = 0.0
        self.dominant: Node | None = None
        self.dominant_latency = _NO_LATENCY  # the dominant node's `Node.latency()`
        self._fit({} if fits is None else fits)

    def _fit(self, fits: dict[int, StageFit]) -> None:
        mean = self.fixed_s
        variance = 0.0
        best: Node | None = None
        best_score = -1.0
        success = 1.0
        for stage in self.stages:
            fit = fits.get(id(stage))
            if fit is None:
                fit = fits[id(stage)] = fit_stage(stage)
            if fit is _EMPTY:
                continue
            passed, stage_mean, stage_variance, stage_best, score = fit
            success *= passed
            if stage_best is None:
                continue
            mean += stage_mean
            variance += stage_variance
            if score > best_score:
                best, best_score = stage_best, score
        self.weight *= success
        self.mean_s = mean
        self.dominant = best
        if best is None:
            self.shift, self.scale = mean, 0.0
            return
        dominant = self.dominant_latency = best.latency()
        self.scale = math.sqrt(variance / dominant[5]) if dominant[5] > 0.0 else 1.0
        self.shift = mean - self.scale * dominant[4]

    def tail(self, t: float) -> float:
        if self.dominant is None or self.scale <= 0.0:
            return 1.0 if t < self.shift else 0.0
        return self.dominant.tail((t - self.shift) / self.scale)


# A stage's part of a path: (share of requests it passes, mean, variance, the alternative with the
# largest share × variance, that largest share × variance); `_EMPTY` for a stage with no shares.
StageFit = tuple[float, float, float, Node | None, float]
_EMPTY: StageFit = (1.0, 0.0, 0.0, None, -1.0)


_NO_LATENCY = (0.0, 0.0, 1.0, 1.0, 0.0, 0.0)


def fit_stage(stage: Stage) -> StageFit:
    """The moments of one stage, a choice among nodes: the mixture's mean and variance.

    Requests that fail at a node (it is down, or dropping) are not in the latency figures: each
    alternative is weighed by its share of *successful* requests, and the path by the share
    that gets through this stage. (Loops rather than sum(): the same additions in the same
    order, without a generator per sum; this runs for every stage twice a second per lab.)"""
    total = 0.0
    ok = 0.0
    kept: list[float] = []
    for node, share, _extra in stage:
        total += share
        if not node.up:
            share = 0.0
        elif node.lam > 0.0:
            served = 1.0 - node.dropped / node.lam
            share *= served if served > 0.0 else 0.0
        kept.append(share)
        ok += share
    if total <= 0.0:
        return _EMPTY
    if ok <= 0.0:
        return (ok / total, 0.0, 0.0, None, -1.0)
    first = second = 0.0
    best: Node | None = None
    best_score = -1.0
    for (node, _share, extra), share in zip(stage, kept, strict=True):
        p = share / ok
        latency = node.latency()
        node_mean = latency[4] + extra
        node_var = latency[5]
        first += p * node_mean
        second += p * (node_var + node_mean * node_mean)
        if p * node_var > best_score:
            best, best_score = node, p * node_var
    return (ok / total, first, max(0.0, second - first * first), best, best_score)


def summarize(paths: Sequence[Path], quantiles: Sequence[float] = (0.5, 0.95, 0.99)) -> dict[str, float]:
    """Mean and quantiles (seconds) of the mixture of `paths` weighted by their rates."""
    live = [path for path in paths if path.weight > 0.0]
    total = sum(path.weight for path in live)
    out: dict[str, float] = {"mean": 0.0}
    for q in quantiles:
        out[f"p{round(q * 100)}"] = 0.0
    if total <= 0.0:
        return out
    mean = out["mean"] = sum(path.weight * path.mean_s for path in live) / total
    tail = _MixtureTail(live, total)
    previous: tuple[float, float, float] | None = None  # (t, tail, slope) where the last one ended
    for q in sorted(quantiles):
        t, previous = tail.quantile(1.0 - q, mean, previous)
        out[f"p{round(q * 100)}"] = t
    return out


class _MixtureTail:
    """P(T > t) = Σ w_k tail_k(t) over the paths' fitted distributions, and its derivative.

    A path's tail is its dominant node's M/M/c response tail, scaled and shifted (`Path.tail`):
    past its start t₀ = shift + scale·f it is A·e^(−a(t − t₀)) − B·e^(−b(t − t₀)) with
    a = μ/scale, b = (cμ − λ̄)/scale, A = 1 + r, B = r, r = C'μ/(cμ − λ̄ − μ) (B = 0 when no request
    waits), and 1 before it. Written out with every constant precomputed, because solving for the
    percentiles evaluates it several times over every path."""

    def __init__(self, live: Sequence[Path], total: float) -> None:
        # (weight, start, −a, −b, w·A, w·B, −a·w·A, b·w·B)
        self.curves: list[tuple[float, float, float, float, float, float, float, float]] = []
        self.equal_rates: list[tuple[float, Path]] = []  # cμ − λ̄ = μ: e^(−μu)(1 + C'μu) instead
        self.steps: list[tuple[float, float]] = []  # (weight, t): a path with no spread
        for path in live:
            weight = path.weight / total
            node = path.dominant
            if node is None or path.scale <= 0.0:
                self.steps.append((weight, path.shift))
                continue
            fixed, wait_probability, mu, spare, _mean, _variance = path.dominant_latency
            d = spare - mu
            if wait_probability > 0.0 and abs(d) < 1e-9 * max(1.0, mu):
                self.equal_rates.append((weight, path))
                continue
            ratio = wait_probability * mu / d if wait_probability > 0.0 else 0.0
            scale = path.scale
            a, b = mu / scale, spare / scale
            big, small = weight * (1.0 + ratio), weight * ratio
            start = path.shift + scale * fixed
            self.curves.append((weight, start, -a, -b, big, small, -a * big, b * small))

    def __call__(self, t: float) -> tuple[float, float]:
        """(P(T > t), its derivative in t)."""
        exp = math.exp
        value = 0.0
        slope = 0.0
        for weight, start, minus_a, minus_b, big, small, slope_a, slope_b in self.curves:
            d = t - start
            if d <= 0.0:
                value += weight
                continue
            e_a = exp(minus_a * d)
            e_b = exp(minus_b * d)
            value += big * e_a - small * e_b
            slope += slope_a * e_a + slope_b * e_b
        for weight, t_step in self.steps:
            if t < t_step:
                value += weight
        for weight, path in self.equal_rates:
            node = path.dominant
            assert node is not None
            fixed, wait_probability, mu, _spare, _mean, _variance = node.latency()
            u = (t - path.shift) / path.scale - fixed
            if u <= 0.0:
                value += weight
                continue
            e_mu = math.exp(-mu * u)
            value += weight * e_mu * (1.0 + wait_probability * mu * u)
            slope -= weight * mu * e_mu * (1.0 + wait_probability * mu * u - wait_probability) / path.scale
        return value, slope

    def quantile(
        self, target: float, start: float, previous: tuple[float, float, float] | None
    ) -> tuple[float, tuple[float, float, float]]:
        """Smallest t ≥ 0 with P(T > t) ≤ target; and (t, tail, slope) at the last point evaluated,
        where the next quantile starts.

        Newton's method on g(t) = ln P(T > t) − ln target: exact in one step for an exponential
        tail, and these are nearly exponential. Safeguarded as in Numerical Recipes' `rtsafe`: a
        bracket [low, high] narrows with every evaluation, and a step that would leave it, or that
        does not at least halve the step before last (a kink where a path's tail starts), bisects
        instead (doubles, while there is no upper end yet). A Newton step under 10⁻⁴ of t leaves an
        error of about 10⁻⁸ of t; a bisection stops at 10⁻⁷ of t."""
        log_target = math.log(target)
        low, high = 0.0, math.inf
        if previous is not None:
            t, value, slope = previous
        else:
            t = max(start, 1e-9)
            value, slope = self(t)
        step_before = step = math.inf
        for _ in range(200):
            evaluated = (t, value, slope)
            if value > target:
                low = t
            else:
                high = t
            newton = math.nan
            if value > 0.0 and slope < 0.0:
                newton = t - (math.log(value) - log_target) * value / slope
            if low < newton < high and abs(newton - t) <= 0.5 * abs(step_before):
                step_before, step = step, newton - t
                t = newton
                if abs(step) <= 1e-4 * t:
                    return t, evaluated
            else:
                middle = 2.0 * max(t, low, 1e-9) if high == math.inf else 0.5 * (low + high)
                step_before, step = step, middle - t
                t = middle
                if abs(step) <= 1e-7 * t:
                    return t, evaluated
            value, slope = self(t)
        return t, (t, value, slope)
