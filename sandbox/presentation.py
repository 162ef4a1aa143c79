"""What a lab page needs to draw itself: controls, translated words, and the browser's settings.

A view (or the `lab_embed` tag) opens a lab, then calls `lab_page_context` with the handle. The
result feeds `templates/sandbox/_lab.html`: which control groups to show (the preset's own, or
all of them), each control's limits and choices read from the engine's `COMMAND_SPECS` (one
place per decision), the size ladders from `facts`, and one JSON block for the ES modules in
`static/js/lab/` with the socket path, the strings of the page's language and the engine's
message texts (to render an event when a frame carries no text).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext_lazy

from sandbox.engine import COMMAND_SPECS, CONTROL_GROUPS, PRESETS, facts
from sandbox.engine.messages import MESSAGES, region_name

LAB_MODULES = (
    "main",
    "state",
    "socket",
    "layout",
    "diagram",
    "traffic",
    "charts",
    "controls",
    "panels",
    "format",
    "shortcuts",
)
PLOTLY_BUNDLE = "vendor/plotly-basic-4.1.1.min.js"

# The panel's groups, in the engine's panel order (`lab` is the toolbar, always shown).
GROUP_ORDER = tuple(group for group in CONTROL_GROUPS if group != "lab")

GROUP_TITLES: Mapping[str, Promise] = {
    "traffic": pgettext_lazy("lab", "Traffic"),
    "topology": pgettext_lazy("lab", "Servers"),
    "faults": pgettext_lazy("lab", "Failures"),
    "sessions": pgettext_lazy("lab", "Sessions"),
    "load_balancer": pgettext_lazy("lab", "Load balancer"),
    "resize": pgettext_lazy("lab", "Machine size"),
    "replication": pgettext_lazy("lab", "Replication"),
    "automation": pgettext_lazy("lab", "Automation"),
    "cache": pgettext_lazy("lab", "Cache"),
    "cdn": pgettext_lazy("lab", "CDN"),
    "data_centers": pgettext_lazy("lab", "Data centers"),
    "queue": pgettext_lazy("lab", "Message queue"),
    "sharding": pgettext_lazy("lab", "Sharding"),
    "services": pgettext_lazy("lab", "Services"),
}

TIER_NAMES: Mapping[str, Promise] = {
    "clients": pgettext_lazy("lab", "Users"),
    "dns": pgettext_lazy("lab", "DNS"),
    "cdn": pgettext_lazy("lab", "CDN"),
    "lb": pgettext_lazy("lab", "Load balancer"),
    "web": pgettext_lazy("lab", "Web server"),
    "session": pgettext_lazy("lab", "Session store"),
    "cache": pgettext_lazy("lab", "Cache"),
    "db": pgettext_lazy("lab", "Database"),
    "queue": pgettext_lazy("lab", "Message queue"),
    "worker": pgettext_lazy("lab", "Consumer"),
}

ROLE_NAMES: Mapping[str, Promise] = {
    "master": pgettext_lazy("database role", "master"),
    "replica": pgettext_lazy("database role", "replica"),
    "shard": pgettext_lazy("database role", "shard"),
}

STATUS_NAMES: Mapping[str, Promise] = {
    "up": pgettext_lazy("node status", "up"),
    "starting": pgettext_lazy("node status", "starting"),
    "detecting": pgettext_lazy("node status", "failing, not yet detected"),
    "down": pgettext_lazy("node status", "down"),
    "draining": pgettext_lazy("node status", "draining"),
    "resizing": pgettext_lazy("node status", "resizing"),
    "promoting": pgettext_lazy("node status", "promoting"),
    "rerouted": pgettext_lazy("data center status", "down, users rerouted"),
}


def region_label(region: str) -> str:
    """The place a region stands for, in the active language (the engine names it, as the lessons do)."""
    return region_name(region, translation.get_language() or "ko")


CHOICE_LABELS: Mapping[str, Mapping[str, Promise]] = {
    "mode:set_session_mode": {
        "stateful": pgettext_lazy("lab", "Stateful"),
        "stateless": pgettext_lazy("lab", "Stateless"),
    },
    "algorithm": {
        "round_robin": pgettext_lazy("lab", "Round robin"),
        "least_connections": pgettext_lazy("lab", "Least connections"),
        "ip_hash": pgettext_lazy("lab", "IP hash"),
    },
    "mode:set_replication": {
        "async": pgettext_lazy("lab", "Asynchronous"),
        "sync": pgettext_lazy("lab", "Synchronous"),
    },
    "pattern": {
        "constant": pgettext_lazy("lab", "Constant"),
        "ramp": pgettext_lazy("lab", "Ramp up"),
        "spike": pgettext_lazy("lab", "Spike"),
        "diurnal": pgettext_lazy("lab", "Day and night"),
    },
    "scheme": {
        "mod_n": pgettext_lazy("lab", "hash mod N"),
        "consistent": pgettext_lazy("lab", "Consistent hashing"),
    },
    "key": {"user_id": pgettext_lazy("lab", "User id"), "region": pgettext_lazy("lab", "Region")},
    "tier:set_autoscaling": {
        "web": pgettext_lazy("lab", "Web servers"),
        "worker": pgettext_lazy("lab", "Consumers"),
    },
    "service": {
        "orders": pgettext_lazy("lab", "Orders"),
        "search": pgettext_lazy("lab", "Search"),
        "accounts": pgettext_lazy("lab", "Accounts"),
        "media": pgettext_lazy("lab", "Media"),
        "payments": pgettext_lazy("lab", "Payments"),
    },
}

# What a click on a node offers, by tier, and the control group each action belongs to.
NODE_ACTIONS: Mapping[str, tuple[str, ...]] = {
    "cdn": ("fail", "recover"),
    "lb": ("fail", "recover"),
    "web": ("fail", "recover", "resize_up", "resize_down", "remove"),
    "session": ("fail", "recover"),
    "cache": ("fail", "recover", "remove"),
    "db": ("fail", "recover", "promote", "resize_up", "resize_down", "remove"),
    "queue": ("fail", "recover"),
    "worker": ("fail", "recover", "remove"),
}
ACTION_GROUPS: Mapping[str, str] = {
    "fail": "faults",
    "recover": "faults",
    "resize_up": "resize",
    "resize_down": "resize",
    "remove": "topology",
    "promote": "replication",
}

# The "Servers" group: one row per tier that add_server can grow.
TIER_ROWS = (
    (
        "web",
        pgettext_lazy("lab", "Web servers"),
        pgettext_lazy("lab", "Add a web server"),
        pgettext_lazy("lab", "Remove a web server"),
    ),
    (
        "db",
        pgettext_lazy("lab", "Database replicas"),
        pgettext_lazy("lab", "Add a replica"),
        pgettext_lazy("lab", "Remove a replica"),
    ),
    (
        "cache",
        pgettext_lazy("lab", "Cache nodes"),
        pgettext_lazy("lab", "Add a cache node"),
        pgettext_lazy("lab", "Remove a cache node"),
    ),
    (
        "worker",
        pgettext_lazy("lab", "Consumers"),
        pgettext_lazy("lab", "Add a consumer"),
        pgettext_lazy("lab", "Remove a consumer"),
    ),
)
USERS_STOPS = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)
SPEEDS = (0.5, 1, 2, 5, 10)
TTL_CHOICES_S = (10, 60, 300, 3_600, 86_400)


def _strings() -> dict[str, Promise | str]:
    """Every word the ES modules show, in the active language."""
    words: dict[str, Promise | str] = {
        "connected": pgettext_lazy("lab", "Connected"),
        "connecting": pgettext_lazy("lab", "Connecting…"),
        "reconnecting": pgettext_lazy("lab", "Reconnecting…"),
        "offline": pgettext_lazy("lab", "Offline"),
        "expired": pgettext_lazy("lab", "This lab has expired: reload the page for a new one"),
        "copied": pgettext_lazy("lab", "Link copied"),
        "copy_failed": pgettext_lazy("lab", "Copy the link from the box"),
        "users_unit": pgettext_lazy("lab", "users"),
        "rps_unit": pgettext_lazy("lab", "req/s"),
        "per_s": pgettext_lazy("lab", "/s"),
        "ms_unit": pgettext_lazy("lab", "ms"),
        "s_unit": pgettext_lazy("lab", "s"),
        "per_hour": pgettext_lazy("lab", "/h"),
        "sessions_word": pgettext_lazy("lab", "sessions"),
        "lag_word": pgettext_lazy("lab", "lag"),
        "backlog_word": pgettext_lazy("lab", "backlog"),
        "hit_word": pgettext_lazy("lab", "hit"),
        "errors_word": pgettext_lazy("lab", "errors"),
        "util_word": pgettext_lazy("lab", "utilisation"),
        "capacity_word": pgettext_lazy("lab", "capacity"),
        "cost_word": pgettext_lazy("lab", "cost"),
        "size_word": pgettext_lazy("lab", "size"),
        "latency_word": pgettext_lazy("lab", "latency"),
        "time_label": pgettext_lazy("lab", "t = {t} s"),
        "event_time": pgettext_lazy("lab", "{t} s"),
        "dc_label": pgettext_lazy("lab", "{dc} · {region}"),
        "chart_time": pgettext_lazy("lab", "simulated time (s)"),
        "chart_latency": pgettext_lazy("lab", "Latency (ms)"),
        "chart_throughput": pgettext_lazy("lab", "Requests per second"),
        "chart_util": pgettext_lazy("lab", "Utilisation (%)"),
        "chart_lag": pgettext_lazy("lab", "Replication lag (ms)"),
        "chart_queue": pgettext_lazy("lab", "Messages waiting"),
        "chart_shards": pgettext_lazy("lab", "Requests per second by shard"),
        "chart_hit": pgettext_lazy("lab", "Cache hit ratio (%)"),
        "chart_shards_none": pgettext_lazy("lab", "One database, not split yet: add shards under Sharding."),
        "trace_throughput": pgettext_lazy("lab", "served"),
        "trace_errors": pgettext_lazy("lab", "failed"),
        "trace_lag": pgettext_lazy("lab", "lag"),
        "trace_queue": pgettext_lazy("lab", "backlog"),
        "trace_hit": pgettext_lazy("lab", "hit ratio"),
        "announce_prefix": pgettext_lazy("lab", "Lab: "),
        "node_dialog_title": pgettext_lazy("lab", "{node} · {tier}"),
        "action_fail": pgettext_lazy("lab", "Fail"),
        "action_recover": pgettext_lazy("lab", "Recover"),
        "action_resize_up": pgettext_lazy("lab", "Bigger machine"),
        "action_resize_down": pgettext_lazy("lab", "Smaller machine"),
        "action_remove": pgettext_lazy("lab", "Remove"),
        "action_promote": pgettext_lazy("lab", "Promote to master"),
        "node_summary": pgettext_lazy("lab", "{node}, {tier}, {status}"),
        "master_badge": pgettext_lazy("lab", "MASTER"),
        "hot_badge": pgettext_lazy("lab", "HOT KEY"),
        "severity_info": pgettext_lazy("lab", "info"),
        "severity_warning": pgettext_lazy("lab", "warning"),
        "severity_error": pgettext_lazy("lab", "error"),
        "reduce_motion_on": pgettext_lazy("lab", "Motion reduced: dots are off, numbers keep updating."),
        "remove_none": pgettext_lazy("lab", "Nothing to remove"),
    }
    for tier, name in TIER_NAMES.items():
        words[f"tier_{tier}"] = name
    for role, name in ROLE_NAMES.items():
        words[f"role_{role}"] = name
    for status, name in STATUS_NAMES.items():
        words[f"status_{status}"] = name
    for region in facts.REGIONS:
        words[f"region_{region}"] = region_label(region)
    return words


def engine_messages(lang: str) -> dict[str, str]:
    """The engine's message templates in `lang` (events and errors), for frames without text."""
    index = 1 if lang.startswith("ko") else 0
    return {key: texts[index] for key, texts in MESSAGES.items()}


def _field(command: str, name: str) -> dict[str, Any]:
    spec = COMMAND_SPECS[command].field(name)
    if spec is None:
        raise KeyError(f"{command}.{name}")
    return {"min": spec.minimum, "max": spec.maximum, "choices": list(spec.choices)}


def choices(command: str, field: str) -> list[tuple[str, str]]:
    """The allowed values of a command's field, each with its label in the active language."""
    labels = CHOICE_LABELS.get(f"{field}:{command}") or CHOICE_LABELS.get(field) or {}
    return [(value, str(labels.get(value, value))) for value in _field(command, field)["choices"]]


@dataclass(frozen=True)
class SizeRung:
    name: str
    vcpus: int
    ram: str
    capacity_rps: int
    cost_per_hour: float


def _ladder(sizes: Iterable[facts.MachineSize]) -> list[SizeRung]:
    return [SizeRung(s.name, s.vcpus, s.ram_label, int(s.capacity_rps), s.cost_per_hour) for s in sizes]


def limits() -> dict[str, dict[str, Any]]:
    """Ranges of the numeric controls, straight from COMMAND_SPECS."""
    return {
        "users": _field("set_users", "users"),
        "share": _field("set_traffic", "read_share"),
        "cache_size": _field("set_cache", "size_keys"),
        "ttl": _field("set_cache", "ttl_s"),
        "consumers": _field("set_consumers", "count"),
        "shards": _field("set_shards", "count"),
        "hot_share": _field("set_hot_key", "share"),
        "autoscale_count": _field("set_autoscaling", "min"),
        "target": _field("set_autoscaling", "target_utilization"),
        "cooldown": _field("set_autoscaling", "cooldown_s"),
        "service_share": _field("split_service", "share"),
        "speed": _field("set_speed", "speed"),
        "seed": _field("set_seed", "seed"),
        "step": _field("step", "ticks"),
    }


def visible_groups(preset_controls: Iterable[str], *, show_all: bool) -> list[str]:
    """The panel's groups: the preset's own (or every group), in the panel's order."""
    wanted = set(GROUP_ORDER) if show_all else set(preset_controls)
    return [group for group in GROUP_ORDER if group in wanted]


def node_actions(groups: Iterable[str]) -> dict[str, list[str]]:
    shown = set(groups)
    return {
        tier: [action for action in actions if ACTION_GROUPS[action] in shown]
        for tier, actions in NODE_ACTIONS.items()
    }


def _import_map() -> dict[str, dict[str, str]]:
    return {"imports": {f"lab/{name}.js": static(f"js/lab/{name}.js") for name in LAB_MODULES}}


def _jsonable(words: Mapping[str, Promise | str]) -> dict[str, str]:
    return {key: str(value) for key, value in words.items()}


def lab_fragment_context(
    *,
    preset_name: str,
    lang: str,
    standalone: bool = False,
    show_all: bool = False,
    lesson_url: str | None = None,
) -> dict[str, Any]:
    """Context for `sandbox/_lab.html`: a preset's lab drawn with its controls (or all of them
    with `show_all`). Nothing in it names a visitor's lab: the same HTML serves every visitor, and
    `lab_page_context` wraps it with the lab's own address, seed and share link."""
    preset = PRESETS[preset_name]
    groups = visible_groups(preset.controls, show_all=show_all)
    dom_id = f"lab-{preset_name}"
    config = {
        "preset": preset_name,
        "lang": lang,
        "locale": "ko-KR" if lang.startswith("ko") else "en-US",
        "standalone": standalone,
        "groups": groups,
        "node_actions": node_actions(groups),
        "plotly_src": static(PLOTLY_BUNDLE),
        "window_s": 120,
        "strings": _jsonable(_strings()),
        "messages": engine_messages(lang),
    }
    return {
        "lab_dom_id": dom_id,
        "preset": preset,
        "groups": groups,
        "group_list": [(group, GROUP_TITLES[group]) for group in groups],
        "tier_rows": TIER_ROWS,
        "lab_config_id": f"{dom_id}-config",
        "show_all": show_all or set(groups) == set(GROUP_ORDER),
        "standalone": standalone,
        "lesson_url": lesson_url,
        "preset_url": reverse("sandbox:preset", args=[preset_name]),
        "all_controls_url": reverse("sandbox:preset", args=[preset_name]) + "?controls=all",
        "limits": limits(),
        "choices": {
            "session_mode": choices("set_session_mode", "mode"),
            "algorithm": choices("set_lb_algorithm", "algorithm"),
            "replication": choices("set_replication", "mode"),
            "pattern": choices("set_traffic", "pattern"),
            "scheme": choices("set_hashing", "scheme"),
            "shard_key": choices("set_shard_key", "key"),
            "autoscale_tier": choices("set_autoscaling", "tier"),
            "service": choices("split_service", "service"),
            "region": [
                (r, f"{region_label(r)} ({r})") for r in _field("add_data_center", "region")["choices"]
            ],
        },
        "web_sizes": _ladder(facts.WEB_SIZES),
        "db_sizes": _ladder(facts.DB_SIZES),
        "users_stops": USERS_STOPS,
        "speeds": SPEEDS,
        "ttl_choices": TTL_CHOICES_S,
        "config": config,
        "import_map": _import_map(),
    }


_FRAGMENTS: dict[tuple[str, str, bool, bool, str | None], SafeString] = {}


def lab_fragment(
    *, preset_name: str, lang: str, standalone: bool, show_all: bool, lesson_url: str | None
) -> SafeString:
    """The lab's HTML for a preset, language and mode — rendered once per process (it is the
    bulk of a lesson page's time otherwise), afresh in DEBUG so template edits show at once."""
    key = (preset_name, lang, standalone, show_all, lesson_url)
    fragment = None if settings.DEBUG else _FRAGMENTS.get(key)
    if fragment is None:
        with translation.override(lang):
            context = lab_fragment_context(
                preset_name=preset_name,
                lang=lang,
                standalone=standalone,
                show_all=show_all,
                lesson_url=lesson_url,
            )
            fragment = mark_safe(render_to_string("sandbox/_lab.html", context))  # noqa: S308 — our template
        _FRAGMENTS[key] = fragment
    return fragment


def lab_page_context(
    *,
    handle: Any,
    lang: str | None = None,
    standalone: bool = False,
    show_all: bool = False,
    lesson_url: str | None = None,
) -> dict[str, Any]:
    """Context for a page showing the lab `handle` (from `sandbox.labs.lab_open` or `lab_fork`):
    `lab_html` is the preset's lab inside a host element that names this visitor's lab (its
    socket, seed and share link — the only per-visitor part)."""
    lang = lang or translation.get_language() or "ko"
    fragment = lab_fragment(
        preset_name=handle.preset, lang=lang, standalone=standalone, show_all=show_all, lesson_url=lesson_url
    )
    groups = visible_groups(PRESETS[handle.preset].controls, show_all=show_all)
    return {
        "lab": handle,
        "preset": PRESETS[handle.preset],
        "show_all": show_all or set(groups) == set(GROUP_ORDER),
        "lesson_url": lesson_url,
        "preset_url": reverse("sandbox:preset", args=[handle.preset]),
        "lab_html": format_html(
            '<div class="lab-host" data-lab-host data-lab-id="{}" data-ws-path="{}" data-seed="{}" '
            'data-share-path="{}">{}</div>',
            handle.id,
            handle.ws_path,
            handle.seed,
            handle.share_path,
            fragment,
        ),
    }
