// The lab as the browser knows it: the last keyframe's topology with every delta applied since,
// the previous values of each number (to interpolate between 10 Hz frames), the settings, the
// events, and a sliding window of metrics for the charts. Frames: docs/protocol.md §3.

const NUMERIC_NODE_FIELDS = ["util", "rps", "err", "lat_ms", "backlog", "sessions", "lag_ms", "hit"];
const HISTORY_STEP_S = 0.5;
const MAX_EVENTS = 300;

export class LabState {
  constructor({ windowS = 120 } = {}) {
    this.windowS = windowS;
    this.clear();
  }

  clear() {
    this.ready = false;
    this.version = -1;
    this.preset = "";
    this.controls = [];
    this.fields = { node: [], edge: [], metrics: [], dc: [] };
    this.nodes = [];
    this.byId = new Map();
    this.groups = [];
    this.edges = [];
    this.dcs = [];
    this.regions = [];
    this.settings = {};
    this.metrics = {};
    this.events = [];
    this.eventSeqs = new Set();
    this.history = [];
    this.tick = 0;
    this.t = 0;
    this.frameAt = 0;
    this.frameGapMs = 100;
  }

  // Apply one engine frame. Returns what changed, so each view redraws only what it must.
  apply(frame, now = performance.now()) {
    const change = { topology: false, settings: false, events: [], reset: false };
    if (frame.type === "key") {
      const reset = this.ready && (frame.tick < this.tick || frame.preset !== this.preset);
      if (reset) {
        this.events = [];
        this.eventSeqs.clear();
        this.history = [];
        change.reset = true;
      }
      change.topology = reset || frame.v !== this.version || !this.ready || this._shapeChanged(frame);
      this._keyframe(frame);
      change.settings = true;
    } else if (frame.type === "delta") {
      if (!this.ready) return null; // a delta before any keyframe: wait for one
      this._delta(frame);
      if (frame.s) {
        this.settings = frame.s;
        change.settings = true;
      }
    } else {
      return null;
    }
    if (this.frameAt) {
      const gap = now - this.frameAt;
      if (gap > 20 && gap < 1000) this.frameGapMs = this.frameGapMs * 0.8 + gap * 0.2;
    }
    this.frameAt = now;
    this.tick = frame.tick;
    this.t = frame.t;
    for (const event of frame.ev ?? []) {
      if (this.eventSeqs.has(event.seq)) continue;
      this.eventSeqs.add(event.seq);
      this.events.push(event);
      change.events.push(event);
    }
    if (this.events.length > MAX_EVENTS) {
      for (const old of this.events.splice(0, this.events.length - MAX_EVENTS)) this.eventSeqs.delete(old.seq);
    }
    this._sample();
    return change;
  }

  _shapeChanged(frame) {
    if (frame.nodes.length !== this.nodes.length) return true;
    return frame.nodes.some((info, i) => {
      const node = this.nodes[i];
      return node.id !== info.id || node.role !== info.role || node.size !== info.size;
    });
  }

  _keyframe(frame) {
    this.ready = true;
    this.version = frame.v;
    this.preset = frame.preset;
    this.controls = frame.controls ?? [];
    this.fields = frame.fields;
    this.regions = frame.regions ?? [];
    this.settings = frame.settings ?? {};
    const nodeFields = frame.fields.node;
    const oldById = this.byId;
    this.nodes = frame.nodes.map((info, index) => {
      const values = {};
      nodeFields.forEach((name, i) => {
        values[name] = frame.state.nodes[index][i];
      });
      const old = oldById.get(info.id);
      return { ...info, index, values, prev: old ? { ...old.values } : { ...values } };
    });
    this.byId = new Map(this.nodes.map((node) => [node.id, node]));
    this.groups = frame.groups ?? [];
    const edgeFields = frame.fields.edge;
    this.edges = frame.edges.map((info, index) => {
      const rates = {};
      edgeFields.forEach((name, i) => {
        rates[name] = frame.state.edges[index][i];
      });
      return { ...info, index, rates };
    });
    this.dcs = (frame.dcs ?? []).map((dc, index) => ({ ...dc, status: frame.state.dcs?.[index]?.[0] ?? "up" }));
    this.metrics = {};
    frame.fields.metrics.forEach((name, i) => {
      this.metrics[name] = frame.metrics[i];
    });
  }

  _delta(frame) {
    const nodeFields = this.fields.node;
    for (const node of this.nodes) node.prev = { ...node.values };
    for (const row of frame.n ?? []) {
      const node = this.nodes[row[0]];
      if (!node) continue;
      for (let i = 1; i < row.length; i += 2) node.values[nodeFields[row[i]]] = row[i + 1];
    }
    const edgeFields = this.fields.edge;
    for (const row of frame.e ?? []) {
      const edge = this.edges[row[0]];
      if (!edge) continue;
      for (let i = 1; i < row.length; i += 2) edge.rates[edgeFields[row[i]]] = row[i + 1];
    }
    const metricFields = this.fields.metrics;
    const m = frame.m ?? [];
    for (let i = 0; i < m.length; i += 2) this.metrics[metricFields[m[i]]] = m[i + 1];
    for (const [index, , status] of frame.d ?? []) {
      if (this.dcs[index]) this.dcs[index].status = status;
    }
  }

  // A node's number between the previous frame and the last one (smooth counters at 60 fps).
  value(node, field, now = performance.now()) {
    const current = node.values[field];
    if (!NUMERIC_NODE_FIELDS.includes(field)) return current;
    const before = node.prev?.[field];
    if (typeof current !== "number" || typeof before !== "number") return current;
    const alpha = Math.min(1, Math.max(0, (now - this.frameAt) / this.frameGapMs));
    return before + (current - before) * alpha;
  }

  _sample() {
    const last = this.history[this.history.length - 1];
    if (last && this.t - last.t < HISTORY_STEP_S && this.t >= last.t) return;
    if (last && this.t < last.t) this.history = [];
    const tierUtil = {};
    const shards = [];
    for (const node of this.nodes) {
      const util = node.values.util;
      if (node.role === "shard") shards.push({ id: node.id, rps: node.values.rps ?? 0 });
      if (typeof util !== "number") continue;
      const entry = (tierUtil[node.tier] ??= { sum: 0, count: 0 });
      entry.sum += util;
      entry.count += 1;
    }
    const util = {};
    for (const [tier, { sum, count }] of Object.entries(tierUtil)) util[tier] = count ? sum / count : 0;
    const m = this.metrics;
    this.history.push({
      t: this.t,
      p50: m.p50_ms,
      p95: m.p95_ms,
      p99: m.p99_ms,
      throughput: m.throughput_rps,
      errors: (m.rps ?? 0) * (m.error_rate ?? 0),
      lag: m.replication_lag_ms,
      queue: m.queue_depth,
      hit: m.hit_ratio,
      util,
      shards,
    });
    const since = this.t - this.windowS;
    while (this.history.length && this.history[0].t < since) this.history.shift();
  }

  // Lookups the views share.
  tierNodes(tier) {
    return this.nodes.filter((node) => node.tier === tier);
  }

  get master() {
    return this.nodes.find((node) => node.role === "master") ?? null;
  }

  eventText(event, messages, format) {
    if (event.text) return event.text;
    const template = messages[event.key];
    if (!template) return event.key;
    const params = { node: event.node ?? "", ...(event.params ?? {}) };
    return template.replace(/\{(\w+)\}/g, (_, name) => {
      const value = params[name];
      if (typeof value === "number") return format.number(value);
      if (typeof value === "boolean") return messages[value ? "state_on" : "state_off"] ?? String(value);
      return value == null ? "?" : String(value);
    });
  }
}
