// Live charts (plotly basic bundle, loaded only on pages with a lab): latency percentiles,
// throughput and errors, utilisation by tier, and the lesson's own chart (replication lag, queue
// depth, load per shard, cache hit ratio). Updated once a second over a sliding window of
// simulated time; colours from the CSS tokens, so the projector theme and dark mode apply.

// The tiers that can be the bottleneck (the load balancer and session store rarely are).
const TIER_ORDER = ["web", "cache", "db", "queue", "worker"];
const UPDATE_MS = 1000;
const HOT_SHARD = 1.3; // a shard 30 % above the mean load is drawn as the hot one
let plotlyPromise = null;

function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyPromise) {
    plotlyPromise = new Promise((resolve, reject) => {
      // The lesson's own chart may be fetching the same bundle already: wait for that one.
      const pending = [...document.scripts].find((script) => script.src.endsWith(src));
      if (pending) {
        pending.addEventListener("load", () => resolve(window.Plotly));
        pending.addEventListener("error", () => reject(new Error("plotly did not load")));
        return;
      }
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        plotlyPromise = null;
        reject(new Error("plotly did not load"));
      };
      document.head.appendChild(script);
    });
  }
  return plotlyPromise;
}

function token(name, fallback) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

function palette() {
  return {
    text: token("--text", "#1b1d2a"),
    muted: token("--text-muted", "#4d5068"),
    border: token("--border", "#d5d8e6"),
    surface: token("--surface", "#ffffff"),
    read: token("--kind-read", "#1d6fd1"),
    write: token("--kind-write", "#c2410c"),
    static: token("--kind-static", "#6d28d9"),
    queued: token("--kind-queued", "#0f766e"),
    bad: token("--bad", "#b3261e"),
    ok: token("--ok", "#1e7d3a"),
    primary: token("--primary", "#3b3fbf"),
    accent: token("--accent", "#0f7a64"),
    warn: token("--warn", "#8a5a00"),
    font: token("--font-sans", "sans-serif"),
  };
}

// Lines of at most `width` pixels (by `measure`), joined with <br> for a plotly annotation.
function wrapText(text, width, measure) {
  const lines = [];
  for (const word of text.split(" ")) {
    const last = lines.at(-1);
    if (last !== undefined && measure(`${last} ${word}`) <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines.join("<br>");
}

export class Charts {
  constructor(root, { plotlySrc, format, strings, groups }) {
    this.root = root;
    this.src = plotlySrc;
    this.format = format;
    this.strings = strings;
    this.groups = new Set(groups);
    this.figures = new Map();
    this.timer = null;
    this.state = null;
    this.visible = false;
    this.destroyed = false;
    this.lastT = null;
    this.traceKeys = new Map();
    this.scale = 1;
    this.wanted = this._wanted();
    for (const figure of root.querySelectorAll("[data-lab-chart]")) {
      figure.hidden = !this.wanted.includes(figure.dataset.labChart);
    }
    this.observer = new IntersectionObserver((entries) => {
      this.visible = entries.some((entry) => entry.isIntersecting);
      if (this.visible) this._start();
    }, { rootMargin: "600px" });
    this.observer.observe(root);
    this._theme = () => this.retheme();
    document.addEventListener("scalelab:theme", this._theme);
    this._media = window.matchMedia("(prefers-color-scheme: dark)");
    this._media.addEventListener("change", this._theme);
  }

  _wanted() {
    const charts = ["latency", "throughput", "util"];
    if (this.groups.has("replication")) charts.push("lag");
    if (this.groups.has("queue")) charts.push("queue");
    if (this.groups.has("sharding")) charts.push("shards");
    if (this.groups.has("cache")) charts.push("hit");
    return charts;
  }

  attach(state) {
    this.state = state;
  }

  async _start() {
    if (this.plotly || this.loading || this.destroyed) return;
    this.loading = true;
    try {
      this.plotly = await loadPlotly(this.src);
    } catch {
      this.loading = false;
      return;
    }
    if (this.destroyed) return;
    this.redraw();
    this.timer = setInterval(() => this.tick(), UPDATE_MS);
  }

  _layout(name, colours, names = []) {
    const f = this.format;
    const z = parseFloat(getComputedStyle(this.root).getPropertyValue("--scale")) || 1;
    this.scale = z;
    const titles = {
      latency: f.word("chart_latency"),
      throughput: f.word("chart_throughput"),
      util: f.word("chart_util"),
      lag: f.word("chart_lag"),
      queue: f.word("chart_queue"),
      shards: f.word("chart_shards"),
      hit: f.word("chart_hit"),
    };
    const bar = name === "shards";
    // Legend entries as wide as their longest name (Hangul is about twice as wide as Latin).
    const textWidth = (text) => [...text].reduce((sum, ch) => sum + (/[\u3131-\uD79D]/.test(ch) ? 11 : 6.6), 0);
    const entry = Math.round((Math.max(20, ...names.map(textWidth)) + 8) * z); // the text; plotly adds the symbol
    const legend = !bar && name !== "queue" && name !== "lag" && name !== "hit";
    // Load per shard before the database is split: say so instead of drawing empty axes.
    const unsplit = bar && !(this.state?.history.at(-1)?.shards ?? []).length;
    return {
      margin: { l: 54 * z, r: 10, t: legend ? 30 * z : 8, b: 40 * z },
      annotations: unsplit
        ? [{ text: wrapText(f.word("chart_shards_none"), 230 * z, textWidth), showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { size: 13 * z, color: colours.muted } }]
        : [],
      height: Math.round(200 * z),
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: colours.font, size: 12 * z, color: colours.text },
      showlegend: legend,
      legend: { orientation: "h", x: 0, y: 1, yanchor: "bottom", font: { size: 11 * z }, bgcolor: "rgba(0,0,0,0)", itemwidth: 30, entrywidth: entry, entrywidthmode: "pixels" },
      xaxis: {
        visible: !unsplit,
        title: { text: bar ? "" : f.word("chart_time"), font: { size: 11 * z, color: colours.muted } },
        gridcolor: colours.border,
        zeroline: false,
        color: colours.muted,
        fixedrange: true,
      },
      yaxis: {
        visible: !unsplit,
        title: { text: titles[name], font: { size: 11 * z, color: colours.muted } },
        gridcolor: colours.border,
        zeroline: false,
        color: colours.muted,
        rangemode: "tozero",
        fixedrange: true,
        range: name === "util" || name === "hit" ? [0, 105] : undefined,
      },
      uirevision: name,
    };
  }

  _traces(name, colours) {
    const history = this.state?.history ?? [];
    const t = history.map((h) => h.t);
    const line = (label, values, colour, extra = {}) => ({
      type: "scatter",
      mode: "lines",
      name: label,
      x: t,
      y: values,
      line: { color: colour, width: 2.2 * this.scale, ...extra },
      hoverinfo: "skip",
    });
    const f = this.format;
    switch (name) {
      case "latency":
        return [
          line("p50", history.map((h) => h.p50 ?? null), colours.read),
          line("p95", history.map((h) => h.p95 ?? null), colours.static, { dash: "dash" }),
          line("p99", history.map((h) => h.p99 ?? null), colours.write, { dash: "dot" }),
        ];
      case "throughput":
        return [
          line(f.word("trace_throughput"), history.map((h) => h.throughput ?? null), colours.ok),
          line(f.word("trace_errors"), history.map((h) => h.errors ?? null), colours.bad, { dash: "dash" }),
        ];
      case "util": {
        const tiers = TIER_ORDER.filter((tier) => history.some((h) => h.util[tier] != null));
        const colourOf = { lb: colours.muted, web: colours.primary, session: colours.accent, cache: colours.static, db: colours.write, queue: colours.queued, worker: colours.warn };
        const dash = { lb: "dot", session: "dash", cache: "dashdot", queue: "dot", worker: "dash" };
        return tiers.map((tier) =>
          line(f.word(`tier_${tier}`), history.map((h) => (h.util[tier] == null ? null : h.util[tier] * 100)), colourOf[tier], { dash: dash[tier] ?? "solid" }),
        );
      }
      case "lag":
        return [line(f.word("trace_lag"), history.map((h) => h.lag ?? null), colours.write)];
      case "queue":
        return [line(f.word("trace_queue"), history.map((h) => h.queue ?? null), colours.queued)];
      case "hit":
        return [line(f.word("trace_hit"), history.map((h) => (h.hit == null ? null : h.hit * 100)), colours.static)];
      case "shards": {
        const last = history[history.length - 1]?.shards ?? [];
        const max = Math.max(0, ...last.map((s) => s.rps));
        const mean = last.reduce((sum, s) => sum + s.rps, 0) / (last.length || 1);
        const hot = last.length > 1 && max > HOT_SHARD * mean; // red only for a real hot spot
        return [{
          type: "bar",
          x: last.map((s) => s.id),
          y: last.map((s) => s.rps),
          marker: { color: last.map((s) => (hot && s.rps === max ? colours.bad : colours.read)) },
          text: last.map((s) => f.compact(s.rps)),
          textposition: "outside",
          cliponaxis: false,
          hoverinfo: "skip",
        }];
      }
      default:
        return [];
    }
  }

  // Full draw (first time, after a theme switch, a reset or a change of traces).
  redraw() {
    if (!this.plotly || !this.state) return;
    const colours = palette();
    for (const name of this.wanted) {
      const figure = this.root.querySelector(`[data-lab-chart="${name}"]`);
      const div = figure?.querySelector(".lab-chart__plot");
      if (!div) continue;
      const traces = this._traces(name, colours);
      this.plotly.react(div, traces, this._layout(name, colours, traces.map((t) => t.name ?? "")), { displayModeBar: false, responsive: true, staticPlot: true });
      this.figures.set(name, div);
      this.traceKeys.set(name, traces.map((trace) => trace.name).join("|"));
    }
    this.lastT = this.state.history[this.state.history.length - 1]?.t ?? null;
  }

  // Once a second: append the new points (extendTraces with a window), or redraw when the set of
  // traces changed (a tier appeared) or time went backwards (reset).
  tick() {
    if (!this.plotly || !this.state || !this.visible || document.hidden) return;
    const history = this.state.history;
    if (!history.length) return;
    const newest = history[history.length - 1].t;
    if (this.lastT !== null && newest < this.lastT) {
      this.redraw();
      return;
    }
    const fresh = this.lastT === null ? history : history.filter((h) => h.t > this.lastT);
    if (!fresh.length) return;
    const colours = palette();
    const maxPoints = history.length;
    for (const name of this.wanted) {
      const div = this.figures.get(name);
      if (!div) continue;
      const traces = this._traces(name, colours);
      const key = traces.map((trace) => trace.name).join("|");
      if (name === "shards" || key !== this.traceKeys.get(name)) {
        this.plotly.react(div, traces, this._layout(name, colours, traces.map((t) => t.name ?? "")), { displayModeBar: false, responsive: true, staticPlot: true });
        this.traceKeys.set(name, key);
        continue;
      }
      const count = fresh.length;
      const x = traces.map((trace) => trace.x.slice(-count));
      const y = traces.map((trace) => trace.y.slice(-count));
      this.plotly.extendTraces(div, { x, y }, traces.map((_, i) => i), maxPoints);
    }
    this.lastT = newest;
  }

  retheme() {
    if (!this.plotly) return;
    requestAnimationFrame(() => this.redraw());
  }

  destroy() {
    this.destroyed = true;
    clearInterval(this.timer);
    this.observer.disconnect();
    document.removeEventListener("scalelab:theme", this._theme);
    this._media.removeEventListener("change", this._theme);
    if (this.plotly) for (const div of this.figures.values()) this.plotly.purge(div);
    this.figures.clear();
  }
}
