"""Lesson charts: one builder per chart id, figures built with plotly's Python API.

Numbers come from the engine (`sandbox.engine`): machine sizes, prices, regions and delays from
`facts`, latency from the M/M/c formulas in `queueing`, hit ratios from `popularity`, moved keys
from `sharding`, the lab's presets from `presets`, and the queue chart from a headless run of the
message-queue preset. A builder returns a `Chart`: the plotly figure as JSON
(rendered in the browser by the vendored basic bundle), a caption that says what to notice, and
a small data table — the text alternative for screen readers.

Colours are design tokens, not hex codes: a colour is written "token:--kind-read" and
`static/js/lesson-chart.js` swaps in the current value of that CSS variable, so charts follow
dark mode and the projector theme.
"""

from __future__ import annotations

import functools
import json
import math
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from django.utils import translation
from django.utils.translation import gettext as _

from lessons.numbers import number_format
from sandbox.engine import facts, messages, popularity, queueing, sharding
from sandbox.engine.presets import PRESETS
from sandbox.engine.simulation import Simulation


@dataclass(frozen=True)
class Chart:
    title: str
    caption: str
    figure: dict[str, Any]
    table_headers: tuple[str, ...]
    table_rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class _Series:
    name: str
    x: Sequence[float | str]
    y: Sequence[float | None]
    token: str  # CSS variable for the colour
    dash: str = "solid"
    mode: str = "lines"
    kind: str = "line"  # line or bar


def _figure(series: Sequence[_Series], *, x_title: str, y_title: str, **layout: Any) -> dict[str, Any]:
    traces = []
    for item in series:
        if item.kind == "bar":
            traces.append(go.Bar(name=item.name, x=list(item.x), y=list(item.y)))
        else:
            traces.append(go.Scatter(name=item.name, x=list(item.x), y=list(item.y), mode=item.mode))
    figure = json.loads(go.Figure(data=traces).to_json())
    for trace, item in zip(figure["data"], series, strict=True):
        if item.kind == "bar":
            trace["marker"] = {"color": f"token:{item.token}"}
        else:
            trace["line"] = {"color": f"token:{item.token}", "width": 3, "dash": item.dash}
            trace["marker"] = {"color": f"token:{item.token}", "size": 8}
        trace["hovertemplate"] = "%{y:,.4~g}<extra>%{fullData.name}</extra>"
    axis = {
        "gridcolor": "token:--surface-2",
        "zerolinecolor": "token:--border",
        "linecolor": "token:--text-muted",
        "automargin": True,
        "fixedrange": True,
    }
    figure["layout"] = {
        "xaxis": {**axis, "title": {"text": x_title}, **layout.pop("xaxis", {})},
        "yaxis": {**axis, "title": {"text": y_title}, "rangemode": "tozero", **layout.pop("yaxis", {})},
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "token:--font-sans", "color": "token:--text", "size": 14},
        "hovermode": "x unified",
        "separators": ".,",
        **layout,
    }
    return figure


def _marked_span(x0: float, x1: float, text: str) -> dict[str, list[dict[str, Any]]]:
    """Layout for a labelled mark on the x axis in the 'bad' colour: a dashed line when x0 == x1
    (a limit), a shaded band otherwise (a period, such as an outage)."""
    if x0 == x1:
        shape = {"type": "line", "line": {"color": "token:--bad", "width": 2, "dash": "dash"}}
        note = {"x": x0, "xanchor": "right"}
    else:
        shape = {"type": "rect", "fillcolor": "token:--bad-soft", "line": {"width": 0}, "layer": "below"}
        note = {"x": (x0 + x1) / 2}
    return {
        "shapes": [{**shape, "x0": x0, "x1": x1, "y0": 0, "y1": 1, "yref": "paper"}],
        "annotations": [
            {
                **note,
                "y": 0.97,
                "yref": "paper",
                "text": text,
                "showarrow": False,
                "font": {"color": "token:--bad"},
            }
        ],
    }


def _n(value: float, lang: str, digits: int = 0) -> str:
    return number_format(round(value, digits) if digits else round(value), lang=lang)


# --- 1 Scalability: latency vs utilisation (one server, M/M/1)


def _latency_vs_utilisation(lang: str) -> Chart:
    server = facts.WEB_SIZES[0]  # the lab's one server: an M/M/c queue, c = its vCPUs
    c, mu, capacity = server.servers, server.service_rate_rps, server.capacity_rps
    utilisation = [round(0.05 * step, 2) for step in range(0, 20)] + [0.97]
    mean = [queueing.mean_response_s(u * capacity, mu, c) * 1000 for u in utilisation]
    p95 = [queueing.response_quantile_s(max(u, 1e-6) * capacity, mu, c, 0.95) * 1000 for u in utilisation]
    percent = [u * 100 for u in utilisation]
    figure = _figure(
        [
            _Series(_("Mean response time"), percent, mean, "--primary"),
            _Series(_("95th percentile"), percent, p95, "--kind-write", dash="dash"),
        ],
        x_title=_("Server utilisation (%)"),
        y_title=_("Response time (ms)"),
        xaxis={"range": [0, 100], "ticksuffix": "%"},
    )
    at = {u: queueing.mean_response_s(u * capacity, mu, c) * 1000 for u in (0.0, 0.5, 0.9)}
    caption = _(
        "One server answers an idle request in %(idle)s ms. At 50%% busy the mean is %(half)s ms; "
        "at 90%% it is %(ninety)s ms: waiting time explodes as the server fills up."
    ) % {"idle": _n(at[0.0], lang), "half": _n(at[0.5], lang), "ninety": _n(at[0.9], lang)}
    rows = tuple(
        (f"{_n(u * 100, lang)}%", _n(m, lang, 1), _n(p, lang, 1))
        for u, m, p in zip(utilisation, mean, p95, strict=True)
        if round(u * 100) % 20 == 10 or u >= 0.95
    )
    return Chart(
        title=_("Latency grows sharply as a server fills up"),
        caption=caption,
        figure=figure,
        table_headers=(_("Utilisation"), _("Mean (ms)"), _("95th percentile (ms)")),
        table_rows=rows,
    )


# --- 2 Scale up: cost vs capacity, up to the largest machine


def _scale_up_cost(lang: str) -> Chart:
    sizes = facts.WEB_SIZES
    capacity = [size.capacity_rps for size in sizes]
    cost = [size.cost_per_hour for size in sizes]
    per_thousand = [size.cost_per_hour / size.capacity_rps * 1000 for size in sizes]
    figure = _figure(
        [
            _Series(_("Cost per hour (US$)"), capacity, cost, "--primary", mode="lines+markers"),
            _Series(
                _("Cost per 1,000 req/s (US$/h)"),
                capacity,
                per_thousand,
                "--kind-write",
                "dot",
                "lines+markers",
            ),
        ],
        x_title=_("Capacity (requests per second)"),
        y_title=_("US$ per hour"),
        **_marked_span(capacity[-1], capacity[-1], _("largest machine")),
    )
    largest = sizes[-1]
    caption = _(
        "Each bigger machine costs more per request it serves, and the ladder ends: the largest "
        "(%(vcpus)s vCPUs, %(ram)s RAM) serves %(rps)s requests per second and nothing bigger can be bought."
    ) % {"vcpus": largest.vcpus, "ram": largest.ram_label, "rps": _n(largest.capacity_rps, lang)}
    rows = tuple(
        (
            size.name,
            str(size.vcpus),
            size.ram_label,
            _n(size.capacity_rps, lang),
            f"{size.cost_per_hour:.2f}",
            f"{price:.2f}",
        )
        for size, price in zip(sizes, per_thousand, strict=True)
    )
    return Chart(
        title=_("Scaling up: cost grows faster than capacity, up to a ceiling"),
        caption=caption,
        figure=figure,
        table_headers=(
            _("Size"),
            _("vCPUs"),
            _("RAM"),
            _("Capacity (req/s)"),
            _("US$ per hour"),
            _("US$/h per 1,000 req/s"),
        ),
        table_rows=rows,
    )


# --- 3 Scale out: cost of n servers vs one bigger server

SCALE_OUT_SIZE = "m"  # the size the scale-out comparison adds copies of


def _scale_out_vs_up_cost(lang: str) -> Chart:
    sizes = facts.WEB_SIZES
    unit = next(size for size in sizes if size.name == SCALE_OUT_SIZE)
    demand = list(range(200, 12_001, 200))
    up: list[float | None] = []
    for rps in demand:
        fits = [size.cost_per_hour for size in sizes if size.capacity_rps >= rps]
        up.append(min(fits) if fits else None)
    out = [math.ceil(rps / unit.capacity_rps) * unit.cost_per_hour for rps in demand]
    figure = _figure(
        [
            _Series(_("Scale up: one bigger server"), demand, up, "--kind-write"),
            _Series(
                _("Scale out: servers of size %(size)s") % {"size": unit.name},
                demand,
                out,
                "--primary",
                dash="dash",
            ),
        ],
        x_title=_("Traffic to serve (requests per second)"),
        y_title=_("US$ per hour"),
    )
    caption = _(
        "Scaling out adds one %(size)s server (%(rps)s req/s, US$%(cost)s/h) at a time, so cost grows in "
        "even steps. Scaling up jumps to pricier machines and stops at %(max)s req/s: beyond that line, "
        "only scaling out can serve the traffic."
    ) % {
        "size": unit.name,
        "rps": _n(unit.capacity_rps, lang),
        "cost": f"{unit.cost_per_hour:.2f}",
        "max": _n(sizes[-1].capacity_rps, lang),
    }
    none = _("not possible")
    rows = tuple(
        (_n(rps, lang), f"{u:.2f}" if u is not None else none, f"{o:.2f}")
        for rps, u, o in zip(demand, up, out, strict=True)
        if rps in (400, 1_000, 2_000, 4_000, 6_000, 8_000, 12_000)
    )
    return Chart(
        title=_("Scale out vs scale up: what each costs as traffic grows"),
        caption=caption,
        figure=figure,
        table_headers=(_("Traffic (req/s)"), _("Scale up (US$/h)"), _("Scale out (US$/h)")),
        table_rows=rows,
    )


# --- 4 Web tier: availability vs number of servers behind a load balancer

SERVER_AVAILABILITY = 0.99  # one server is up 99 % of the time (≈ 3.7 days down a year)
HOURS_PER_YEAR = 24 * 365


def _availability_vs_servers(lang: str) -> Chart:
    servers = list(range(1, 6))
    down_hours = [(1 - SERVER_AVAILABILITY) ** n * HOURS_PER_YEAR for n in servers]
    down_minutes = [hours * 60 for hours in down_hours]
    figure = _figure(
        [
            _Series(
                _("Time with every server down (minutes per year)"),
                servers,
                down_minutes,
                "--primary",
                kind="bar",
            )
        ],
        x_title=_("Web servers behind the load balancer"),
        y_title=_("Minutes per year, log scale"),
        yaxis={"type": "log", "rangemode": "normal", "tickformat": "~g"},
        xaxis={"dtick": 1},
        hovermode="closest",
    )
    caption = _(
        "If each server is up %(each)s%% of the time, one server leaves the site down about %(one)s hours a "
        "year; with two behind a load balancer, the site is down only while both are, about %(two)s "
        "minutes a year (failures assumed independent)."
    ) % {
        "each": _n(SERVER_AVAILABILITY * 100, lang),
        "one": _n(down_hours[0], lang),
        "two": _n(down_minutes[1], lang),
    }
    rows = tuple(
        (str(n), f"{(1 - (1 - SERVER_AVAILABILITY) ** n) * 100:.6g}%", _n(minutes, lang, 3))
        for n, minutes in zip(servers, down_minutes, strict=True)
    )
    return Chart(
        title=_("Each server you add multiplies availability"),
        caption=caption,
        figure=figure,
        table_headers=(_("Servers"), _("Availability"), _("Down minutes per year")),
        table_rows=rows,
    )


# --- 5 Replication: lag vs write load. Like the engine, a replica applies the master's writes one
# after another (an M/M/1 queue at its size's capacity) after one network hop.


def _replica_size() -> facts.MachineSize:
    name = PRESETS["db-replication"].db_size
    return next(size for size in facts.DB_SIZES if size.name == name)


def _replication_lag(lang: str) -> Chart:
    apply_rate = _replica_size().capacity_rps
    writes = [apply_rate * step / 20 for step in range(1, 20)] + [apply_rate * 0.97]
    mean = [facts.REPLICATION_NETWORK_MS + queueing.mean_response_s(w, apply_rate, 1) * 1000 for w in writes]
    p99 = [
        facts.REPLICATION_NETWORK_MS + queueing.response_quantile_s(w, apply_rate, 1, 0.99) * 1000
        for w in writes
    ]
    figure = _figure(
        [
            _Series(_("Mean replication lag"), writes, mean, "--primary"),
            _Series(_("99th percentile"), writes, p99, "--kind-write", dash="dash"),
        ],
        x_title=_("Writes per second on the master"),
        y_title=_("Replication lag (ms)"),
    )
    half = facts.REPLICATION_NETWORK_MS + queueing.mean_response_s(apply_rate * 0.5, apply_rate, 1) * 1000
    high = facts.REPLICATION_NETWORK_MS + queueing.mean_response_s(apply_rate * 0.95, apply_rate, 1) * 1000
    caption = _(
        "A replica copies the master's writes one after another. At half its apply rate (%(rate)s writes/s) "
        "it trails by about %(half)s ms; near its limit the lag reaches %(high)s ms, and reads from it "
        "are more often stale."
    ) % {"rate": _n(apply_rate, lang), "half": _n(half, lang, 1), "high": _n(high, lang)}
    rows = tuple(
        (_n(w, lang), _n(m, lang, 1), _n(p, lang, 1))
        for w, m, p in zip(writes, mean, p99, strict=True)
        if round(w / apply_rate * 20) % 4 == 0 or w >= apply_rate * 0.95
    )
    return Chart(
        title=_("More writes, longer replication lag"),
        caption=caption,
        figure=figure,
        table_headers=(_("Writes/s"), _("Mean lag (ms)"), _("99th percentile (ms)")),
        table_rows=rows,
    )


# --- 6 Message queue: the lab's message-queue preset, run headless through its own scenario
# (all consumers stop, later more come back), sampled once a simulated second.

QUEUE_RUN_S = 40


def _queue_run() -> list[dict[str, float]]:
    preset = PRESETS["message-queue"]
    sim = Simulation.from_preset(preset.name, seed=1)
    pending = sorted(preset.scenario, key=lambda step: step[0])
    samples = []
    for second in range(QUEUE_RUN_S + 1):
        while pending and pending[0][0] <= second:
            sim.apply(pending.pop(0)[1])
        metrics = sim.metrics()
        samples.append(
            {
                "t": second,
                "depth": float(metrics["queue_depth"]),
                "published": float(metrics["orders_per_s"]),
                "consumed": float(metrics["consumed_per_s"]),
                "lost": float(metrics["messages_lost"]),
            }
        )
        sim.step(facts.TICKS_PER_SECOND)
    return samples


def _queue_backlog(lang: str) -> Chart:
    samples = _queue_run()
    seconds = [sample["t"] for sample in samples]
    outage = [
        at for at, command in PRESETS["message-queue"].scenario if command.get("cmd") == "set_consumers"
    ]
    figure = _figure(
        [
            _Series(
                _("Messages waiting in the queue"), seconds, [s["depth"] for s in samples], "--kind-queued"
            ),
            _Series(
                _("Published per second"), seconds, [s["published"] for s in samples], "--primary", "dot"
            ),
            _Series(
                _("Consumed per second"), seconds, [s["consumed"] for s in samples], "--kind-write", "dash"
            ),
        ],
        x_title=_("Time (s)"),
        y_title=_("Messages"),
        **_marked_span(outage[0], outage[-1], _("consumers down")),
    )
    peak = max(samples, key=lambda sample: sample["depth"])
    caption = _(
        "While every consumer is down, producers keep publishing about %(rate)s orders a second; the queue "
        "holds them all (%(peak)s waiting at the peak, %(lost)s lost) and the consumers drain it once they "
        "are back."
    ) % {
        "rate": _n(samples[int(sum(outage[:2]) / 2)]["published"], lang),
        "peak": _n(peak["depth"], lang),
        "lost": _n(samples[-1]["lost"], lang),
    }
    rows = tuple(
        (str(s["t"]), _n(s["published"], lang), _n(s["consumed"], lang), _n(s["depth"], lang))
        for s in samples
        if s["t"] % 5 == 0 or s is peak
    )
    return Chart(
        title=_("A queue absorbs a consumer outage"),
        caption=caption,
        figure=figure,
        table_headers=(_("Second"), _("Published/s"), _("Consumed/s"), _("Messages waiting")),
        table_rows=rows,
    )


# --- 7 Metrics: p50, p95, p99 as load grows (a pool of web servers, M/M/c)

PERCENTILE_SERVERS = 4


def _percentiles_vs_load(lang: str) -> Chart:
    server = facts.WEB_SIZES[0]
    capacity = PERCENTILE_SERVERS * server.capacity_rps
    load = [capacity * step / 20 for step in range(1, 20)] + [capacity * 0.97]
    # Round robin gives each server an equal share; each is its own M/M/c queue, as in the lab.
    quantiles = {
        p: [
            queueing.response_quantile_s(x / PERCENTILE_SERVERS, server.service_rate_rps, server.servers, p)
            * 1000
            for x in load
        ]
        for p in (0.5, 0.95, 0.99)
    }
    figure = _figure(
        [
            _Series("p50", load, quantiles[0.5], "--primary"),
            _Series("p95", load, quantiles[0.95], "--kind-static", dash="dash"),
            _Series("p99", load, quantiles[0.99], "--kind-write", dash="dot"),
        ],
        x_title=_("Load (requests per second) on %(servers)s servers") % {"servers": PERCENTILE_SERVERS},
        y_title=_("Response time (ms)"),
    )
    at = bisect_left(load, capacity * 0.9)
    caption = _(
        "The median barely moves until the servers are nearly full, while the slowest 1%% of requests "
        "slow down first: at 90%% load p50 is %(p50)s ms but p99 is %(p99)s ms. Watch the tail, not the "
        "average."
    ) % {"p50": _n(quantiles[0.5][at], lang), "p99": _n(quantiles[0.99][at], lang)}
    rows = tuple(
        (_n(x, lang), _n(a, lang, 1), _n(b, lang, 1), _n(c, lang, 1))
        for i, (x, a, b, c) in enumerate(
            zip(load, quantiles[0.5], quantiles[0.95], quantiles[0.99], strict=True)
        )
        if i % 4 == 3 or i == len(load) - 1
    )
    return Chart(
        title=_("Tail latency moves first"),
        caption=caption,
        figure=figure,
        table_headers=(_("Load (req/s)"), "p50 (ms)", "p95 (ms)", "p99 (ms)"),
        table_rows=rows,
    )


# --- 8 Sharding: how many keys move when a shard is added (the engine's key sample and ring)


def _hashing_moved_keys(lang: str) -> Chart:
    vnodes = facts.SHARD_VNODES
    shard_counts = list(range(2, 11))
    moved_mod = [
        sharding.moved_share((n, "mod_n", vnodes), (n + 1, "mod_n", vnodes)) * 100 for n in shard_counts
    ]
    moved_ring = [
        sharding.moved_share((n, "consistent", vnodes), (n + 1, "consistent", vnodes)) * 100
        for n in shard_counts
    ]
    labels = [f"{n} → {n + 1}" for n in shard_counts]
    figure = _figure(
        [
            _Series(_("hash mod N"), labels, moved_mod, "--kind-write", kind="bar"),
            _Series(_("consistent hashing"), labels, moved_ring, "--primary", kind="bar"),
        ],
        x_title=_("Shards before → after adding one"),
        y_title=_("Keys that move (%)"),
        yaxis={"range": [0, 100], "ticksuffix": "%"},
        barmode="group",
    )
    caption = _(
        "Going from 4 to 5 shards, hash mod N moves %(mod)s%% of the keys to another shard; consistent "
        "hashing moves %(ring)s%%, close to the 1/5 the new shard should take."
    ) % {"mod": _n(moved_mod[2], lang), "ring": _n(moved_ring[2], lang)}
    rows = tuple(
        (label, f"{a:.0f}%", f"{b:.0f}%") for label, a, b in zip(labels, moved_mod, moved_ring, strict=True)
    )
    return Chart(
        title=_("Adding a shard: how many keys must move"),
        caption=caption,
        figure=figure,
        table_headers=(_("Shards"), _("hash mod N"), _("consistent hashing")),
        table_rows=rows,
    )


# --- 9 Cache: hit ratio vs cache size (the engine's Zipf popularity and LRU model)

CACHE_SIZES_KEYS = (100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000)


def _cache_hit_ratio(lang: str) -> Chart:
    keyspace = facts.CACHE_KEYSPACE
    sizes = [size for size in CACHE_SIZES_KEYS if size <= keyspace]
    hit = [popularity.hit_ratio(size) * 100 for size in sizes]
    figure = _figure(
        [
            _Series(_("Hit ratio"), sizes, hit, "--primary", mode="lines+markers"),
            _Series(
                _("Reads reaching the database"),
                sizes,
                [100 - h for h in hit],
                "--kind-write",
                "dash",
                "lines+markers",
            ),
        ],
        x_title=_("Cache size (keys, log scale)"),
        y_title=_("Share of reads (%)"),
        xaxis={"type": "log", "tickformat": "~s"},
        yaxis={"range": [0, 100], "ticksuffix": "%"},
    )
    default = facts.CACHE_DEFAULT_SIZE_KEYS
    caption = _(
        "Popular keys are read far more often than the rest, so a cache holding %(size)s of the %(keys)s "
        "keys (%(share)s%%) already answers %(hit)s%% of reads, and the database sees only the rest."
    ) % {
        "size": _n(default, lang),
        "keys": _n(keyspace, lang),
        "share": _n(default / keyspace * 100, lang, 1),
        "hit": _n(popularity.hit_ratio(default) * 100, lang),
    }
    rows = tuple((_n(size, lang), f"{h:.0f}%", f"{100 - h:.0f}%") for size, h in zip(sizes, hit, strict=True))
    return Chart(
        title=_("A small cache catches many reads"),
        caption=caption,
        figure=figure,
        table_headers=(_("Cache size (keys)"), _("Hit ratio"), _("Reads reaching the database")),
        table_rows=rows,
    )


# --- 10 CDN and 11 data centers: round trips by region (the engine's region table)


def _region_names(lang: str) -> dict[str, str]:
    return {region: messages.region_name(region, lang) for region in facts.REGIONS}


def _data_center_story() -> tuple[tuple[str, ...], str]:
    """Lesson 11's story, as the lab's `data-centers` preset plays it: its sites, and the one that fails."""
    preset = PRESETS["data-centers"]
    failed_dc = next(
        str(command["dc"]) for _t, command in preset.scenario if command["cmd"] == "fail_data_center"
    )
    sites = preset.data_centers  # data center N (dc-N) stands in the N-th region listed
    return sites, sites[int(failed_dc.removeprefix("dc-")) - 1]


def _cdn_latency(lang: str) -> Chart:
    names = _region_names(lang)
    origin = PRESETS["cdn"].data_centers[0]
    labels = [names.get(region, region) for region in facts.REGIONS]
    from_origin = [facts.region_rtt_ms(region, origin) for region in facts.REGIONS]
    from_edge = [facts.CDN_EDGE_RTT_MS for _region in facts.REGIONS]
    figure = _figure(
        [
            _Series(
                _("From the origin (%(region)s)") % {"region": names[origin]},
                labels,
                from_origin,
                "--kind-write",
                kind="bar",
            ),
            _Series(_("From the nearest CDN edge"), labels, from_edge, "--kind-static", kind="bar"),
        ],
        x_title=_("Where the user is"),
        y_title=_("Round trip (ms)"),
        barmode="group",
        hovermode="closest",
    )
    farthest = max(range(len(labels)), key=lambda index: from_origin[index])
    caption = _(
        "A user in %(far_region)s waits about %(far)s ms per round trip for a file from the origin, but "
        "%(edge)s ms from a nearby CDN edge; users near the origin gain little."
    ) % {
        "far_region": labels[farthest],
        "far": _n(from_origin[farthest], lang),
        "edge": _n(facts.CDN_EDGE_RTT_MS, lang),
    }
    rows = tuple(
        (name, _n(o, lang), _n(e, lang)) for name, o, e in zip(labels, from_origin, from_edge, strict=True)
    )
    return Chart(
        title=_("A CDN brings static files closer to far users"),
        caption=caption,
        figure=figure,
        table_headers=(_("Region"), _("Origin (ms)"), _("CDN edge (ms)")),
        table_rows=rows,
    )


def _dc_failover_latency(lang: str) -> Chart:
    names = _region_names(lang)
    sites, failed = _data_center_story()
    centers = list(sites)
    healthy = [center for center in centers if center != failed]
    labels = [names.get(region, region) for region in facts.REGIONS]
    before = [min(facts.region_rtt_ms(region, center) for center in centers) for region in facts.REGIONS]
    after = [min(facts.region_rtt_ms(region, center) for center in healthy) for region in facts.REGIONS]
    figure = _figure(
        [
            _Series(_("Both data centers up"), labels, before, "--primary", kind="bar"),
            _Series(
                _("Data center A (%(region)s) down") % {"region": names[failed]},
                labels,
                after,
                "--kind-write",
                kind="bar",
            ),
        ],
        x_title=_("Where the user is"),
        y_title=_("Round trip (ms)"),
        barmode="group",
        hovermode="closest",
    )
    index = facts.REGIONS.index(failed)
    caption = _(
        "GeoDNS sends each user to the nearest healthy data center. When the data center in %(region)s "
        "fails, its users are served from the other one: still online, but each round trip grows from "
        "%(before)s to %(after)s ms."
    ) % {"region": names[failed], "before": _n(before[index], lang), "after": _n(after[index], lang)}
    rows = tuple((name, _n(b, lang), _n(a, lang)) for name, b, a in zip(labels, before, after, strict=True))
    return Chart(
        title=_("A data center outage reroutes users, at a latency cost"),
        caption=caption,
        figure=figure,
        table_headers=(_("Region"), _("Both up (ms)"), _("One down (ms)")),
        table_rows=rows,
    )


BUILDERS: dict[str, Callable[[str], Chart]] = {
    "latency-vs-utilisation": _latency_vs_utilisation,
    "scale-up-cost": _scale_up_cost,
    "scale-out-vs-up-cost": _scale_out_vs_up_cost,
    "availability-vs-servers": _availability_vs_servers,
    "replication-lag": _replication_lag,
    "queue-backlog": _queue_backlog,
    "percentiles-vs-load": _percentiles_vs_load,
    "hashing-moved-keys": _hashing_moved_keys,
    "cache-hit-ratio": _cache_hit_ratio,
    "cdn-latency": _cdn_latency,
    "dc-failover-latency": _dc_failover_latency,
}
CHART_IDS = tuple(BUILDERS)


@functools.lru_cache(maxsize=64)
def chart_for(chart_id: str, *, lang: str) -> Chart:
    """The chart, built once per language (figures are pure functions of the engine's constants)."""
    with translation.override(lang):
        return BUILDERS[chart_id](lang)
