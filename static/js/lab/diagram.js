// The topology as SVG: data centers and web pools as boxes, one shape and icon per tier, node
// fill by utilisation with its number, failed nodes crossed out with the word "down", status and
// role badges, small counters. Redrawn on topology change (keyframe) or resize; numbers are
// refreshed every animation frame from LabState.value (interpolated between 10 Hz frames).

import { layout } from "lab/layout.js";

const NS = "http://www.w3.org/2000/svg";

const ICONS = {
  clients: "M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM2.5 20c0-3.6 2.9-6 6.5-6s6.5 2.4 6.5 6M16 4.3a3.5 3.5 0 0 1 0 6.4M18 14.3c2.2.7 3.5 2.8 3.5 5.7",
  dns: "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM3 12h18M12 3c2.5 2.6 3.8 5.6 3.8 9s-1.3 6.4-3.8 9c-2.5-2.6-3.8-5.6-3.8-9S9.5 5.6 12 3z",
  cdn: "M7 18h10.5a4 4 0 0 0 .6-8A6 6 0 0 0 6.5 9.2 4.4 4.4 0 0 0 7 18z",
  lb: "M12 3v6M12 9l-7 6M12 9l7 6M12 9v6M3 18h4v3H3zM10 18h4v3h-4zM17 18h4v3h-4z",
  web: "M4 4h16v6H4zM4 14h16v6H4zM7.5 7h.01M7.5 17h.01M11 7h6M11 17h6",
  session: "M8 14a4 4 0 1 1 3.5-6H21v3h-2v3h-3v-3h-4.5A4 4 0 0 1 8 14zM7 10h.01",
  cache: "M13 2L4.5 13.5H12L11 22l8.5-11.5H12z",
  db: "M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3zM4 6v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3",
  queue: "M3 6h18v4H3zM3 14h18v4H3zM7 8h.01M7 16h.01M11 8h.01M11 16h.01",
  worker: "M12 8.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7zM12 2v3M12 19v3M4.2 4.2l2.1 2.1M17.7 17.7l2.1 2.1M2 12h3M19 12h3M4.2 19.8l2.1-2.1M17.7 6.3l2.1-2.1",
};
const STATUS_MARK = { starting: "⏳", detecting: "⚠", down: "✕", draining: "↘", resizing: "⚙", promoting: "⬆" };
const FAILED = new Set(["down", "detecting"]);

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  if (parent) parent.appendChild(node);
  return node;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function shapePath(tier, w, h) {
  const r = Math.min(10, h / 5);
  if (tier === "clients" || tier === "dns") return roundRect(w, h, h / 2);
  if (tier === "lb" || tier === "cdn") {
    const c = 12;
    return `M${c} 0H${w - c}L${w} ${c}V${h - c}L${w - c} ${h}H${c}L0 ${h - c}V${c}Z`;
  }
  if (tier === "db") {
    const e = 7;
    return `M0 ${e}C0 ${-e / 3} ${w} ${-e / 3} ${w} ${e}V${h - e}C${w} ${h + e / 3} 0 ${h + e / 3} 0 ${h - e}Z`;
  }
  return roundRect(w, h, r);
}

function roundRect(w, h, r) {
  return `M${r} 0H${w - r}A${r} ${r} 0 0 1 ${w} ${r}V${h - r}A${r} ${r} 0 0 1 ${w - r} ${h}H${r}A${r} ${r} 0 0 1 0 ${h - r}V${r}A${r} ${r} 0 0 1 ${r} 0Z`;
}

export class Diagram {
  constructor(container, { format, strings, onActivate }) {
    this.container = container;
    this.format = format;
    this.strings = strings;
    this.onActivate = onActivate;
    this.svg = null;
    this.geometry = null;
    this.nodeViews = new Map();
    this.edgeViews = [];
    this.focusId = null;
    this.hotNode = null;
    this.width = 0;
  }

  scale() {
    const value = parseFloat(getComputedStyle(this.container).getPropertyValue("--scale"));
    return Number.isFinite(value) && value > 0 ? value : 1;
  }

  // Rebuild everything for the current topology and width.
  render(state) {
    const width = Math.max(280, Math.floor(this.container.clientWidth));
    this.width = width;
    const geometry = layout(state, width, this.scale());
    this.geometry = geometry;
    const { z } = geometry;
    const svg = el("svg", {
      class: `lab-svg${z.compact ? " lab-svg--compact" : ""}`,
      viewBox: `0 0 ${geometry.width} ${geometry.height}`,
      width: geometry.width,
      height: geometry.height,
      "aria-hidden": null,
    });
    svg.style.setProperty("--node-font", `${(z.compact ? 11 : 12.5) * z.scale}px`);
    const defs = el("defs", {}, svg);
    const marker = el("marker", { id: `${this.container.id}-arrow`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 9 * z.scale, markerHeight: 9 * z.scale, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" }, defs);
    el("path", { d: "M0 1L9 5L0 9z", class: "lab-arrow" }, marker);
    this._symbols(defs);

    const dcLayer = el("g", { class: "lab-dcs" }, svg);
    const dcLabels = [];
    this.dcStatus = new Map();
    for (const [id, box] of geometry.dcBoxes) {
      const g = el("g", { class: "lab-dc", "data-dc": id }, dcLayer);
      el("rect", { x: box.x, y: box.y, width: box.w, height: box.h, rx: 14, class: "lab-dc__box" }, g);
      // Labels go on top of the edges (drawn later), with a halo, so a crossing edge never hides them.
      const labels = el("g", { class: "lab-dc", "data-dc-label": id });
      const region = this.format.word(`region_${box.dc.region}`);
      const label = el("text", { x: box.x + 12, y: box.y + 17 * z.scale, class: "lab-dc__label" }, labels);
      label.textContent = this.format.word("dc_label", { dc: id, region }); // "dc-2 · Virginia (US East)"
      const status = el("text", { x: box.x + box.w - 12, y: box.y + 17 * z.scale, class: "lab-dc__status", "text-anchor": "end" }, labels);
      dcLabels.push(labels);
      this.dcStatus.set(id, { g, status });
    }
    const poolLayer = el("g", { class: "lab-pools" }, svg);
    for (const [id, box] of geometry.pools) {
      const g = el("g", { class: "lab-pool", "data-group": id }, poolLayer);
      el("rect", { x: box.x, y: box.y, width: box.w, height: box.h, rx: 10, class: "lab-pool__box" }, g);
      const service = box.group.service;
      const title = service === "web" || service === "worker" ? this.format.word(`tier_${service}`) : service;
      const text = el("text", { x: box.x + 10, y: box.y + box.h - 6 * z.scale, class: "lab-pool__label" }, g);
      text.textContent = `${title} × ${box.group.members.length}`;
    }

    const edgeLayer = el("g", { class: "lab-edges" }, svg);
    this.edgeViews = geometry.edges.map((route) => {
      const replication = route.edge.kinds.length === 1 && route.edge.kinds[0] === "write" && state.byId.get(route.edge.from)?.tier === "db";
      const kind = route.edge.kinds.includes("queued") ? "queued" : replication ? "replication" : "request";
      const path = el("path", { d: route.d, class: `lab-edge lab-edge--${kind}`, "marker-end": `url(#${this.container.id}-arrow)` }, edgeLayer);
      return { route, path, replication };
    });
    this.particleLayer = el("g", { class: "lab-particles" }, svg);
    const labelLayer = el("g", { class: "lab-dc-labels" }, svg);
    for (const labels of dcLabels) labelLayer.appendChild(labels);
    const nodeLayer = el("g", { class: "lab-nodes" }, svg);
    this.burstLayer = el("g", { class: "lab-bursts" }, svg);

    this.nodeViews = new Map();
    const focusable = [];
    for (const node of state.nodes) {
      const box = geometry.boxes.get(node.id);
      if (!box) continue;
      const view = this._node(nodeLayer, node, box, z, state);
      this.nodeViews.set(node.id, view);
      focusable.push(view);
    }
    if (!this.focusId || !this.nodeViews.has(this.focusId)) this.focusId = focusable.find((v) => v.actionable)?.id ?? focusable[0]?.id ?? null;
    for (const view of this.nodeViews.values()) view.g.setAttribute("tabindex", view.id === this.focusId ? "0" : "-1");

    const hadFocus = this.svg && this.svg.contains(document.activeElement) ? document.activeElement.dataset.node : null;
    this.container.replaceChildren(svg);
    this.svg = svg;
    svg.addEventListener("click", (event) => this._click(event));
    svg.addEventListener("keydown", (event) => this._key(event));
    if (hadFocus) this.focus(this.nodeViews.has(hadFocus) ? hadFocus : this.focusId);
    this._lastStatus = new Map();
    this.update(state, performance.now(), true);
  }

  _symbols(defs) {
    // Particle shapes: read circle, write square, static triangle, queued bar; a failure ×.
    const symbols = {
      read: () => el("circle", { r: 3.6, class: "lab-kind--read" }),
      write: () => el("rect", { x: -3.4, y: -3.4, width: 6.8, height: 6.8, class: "lab-kind--write" }),
      static: () => el("path", { d: "M0 -4.4L4.2 3.2H-4.2Z", class: "lab-kind--static" }),
      queued: () => el("rect", { x: -5, y: -1.8, width: 10, height: 3.6, rx: 1, class: "lab-kind--queued" }),
      fail: () => el("path", { d: "M-5 -5L5 5M5 -5L-5 5", class: "lab-kind--fail" }),
    };
    for (const [kind, make] of Object.entries(symbols)) {
      const g = el("g", { id: `${this.container.id}-${kind}` }, defs);
      g.appendChild(make());
    }
  }

  _node(layer, node, box, z, state) {
    const tier = node.tier;
    const actionable = tier !== "clients" && tier !== "dns";
    const g = el("g", {
      class: `lab-node lab-node--${tier}`,
      transform: `translate(${box.x} ${box.y})`,
      "data-node": node.id,
      "data-tier": tier,
      "data-role": node.role ?? null,
      role: actionable ? "button" : "img",
      "aria-haspopup": actionable ? "dialog" : null,
    });
    layer.appendChild(g);
    const w = box.w;
    const h = box.h;
    const clipId = `${this.container.id}-clip-${node.id}`;
    const clip = el("clipPath", { id: clipId }, g);
    el("path", { d: shapePath(tier, w, h) }, clip);
    el("path", { d: shapePath(tier, w, h), class: "lab-node__body" }, g);
    const fill = el("rect", { x: 0, y: 0, width: 0, height: h, class: "lab-node__fill", "clip-path": `url(#${clipId})` }, g);
    const bar = el("rect", { x: 0, y: h - 4 * z.scale, width: 0, height: 4 * z.scale, class: "lab-node__bar", "clip-path": `url(#${clipId})` }, g);
    el("path", { d: shapePath(tier, w, h), class: "lab-node__outline" }, g);
    const iconSize = 16 * z.scale;
    const icon = el("g", { transform: `translate(${8 * z.scale} ${(tier === "db" ? 10 : 7) * z.scale}) scale(${iconSize / 24})`, class: "lab-node__icon" }, g);
    el("path", { d: ICONS[tier] ?? ICONS.web }, icon);
    const label = el("text", { x: 28 * z.scale, y: (tier === "db" ? 23 : 20) * z.scale, class: "lab-node__label" }, g);
    label.textContent = this._label(node, state);
    const line1 = el("text", { x: 8 * z.scale, y: h - 22 * z.scale, class: "lab-node__line" }, g);
    const line2 = el("text", { x: 8 * z.scale, y: h - 9 * z.scale, class: "lab-node__line lab-node__line--minor" }, g);
    const cross = el("path", { d: `M6 6L${w - 6} ${h - 6}M${w - 6} 6L6 ${h - 6}`, class: "lab-node__cross" }, g);
    const badge = el("g", { class: "lab-node__badge" }, g);
    const badgeRect = el("rect", { x: 0, y: -9 * z.scale, height: 17 * z.scale, rx: 8 * z.scale }, badge);
    const badgeText = el("text", { x: 0, y: 3.5 * z.scale, "text-anchor": "middle" }, badge);
    const status = el("g", { class: "lab-node__status" }, g);
    const statusRect = el("rect", { x: 0, y: h - 8 * z.scale, height: 17 * z.scale, rx: 8 * z.scale }, status);
    const statusText = el("text", { x: 0, y: h + 4.5 * z.scale, "text-anchor": "middle" }, status);
    el("title", {}, g).textContent = node.id;
    return { id: node.id, node, g, w, h, z, fill, bar, line1, line2, cross, badge, badgeRect, badgeText, status, statusRect, statusText, actionable, lastKey: "" };
  }

  _label(node, state) {
    if (node.tier === "clients") return this.format.word(`region_${node.region}`) || node.region;
    if (node.tier === "dns") return state.dcs.length > 1 ? "GeoDNS" : "DNS";
    return node.id;
  }

  // Numbers and states, every animation frame (only changed text is written).
  update(state, now, force = false) {
    if (!this.svg) return;
    const hotKey = state.settings?.hot_key?.enabled;
    let hot = null;
    if (hotKey) {
      const shards = state.nodes.filter((n) => n.role === "shard");
      hot = this.hotNode && state.byId.has(this.hotNode) ? this.hotNode : shards.sort((a, b) => (b.values.rps ?? 0) - (a.values.rps ?? 0))[0]?.id ?? null;
    }
    for (const view of this.nodeViews.values()) {
      const node = state.byId.get(view.id);
      if (!node) continue;
      this._updateNode(view, node, state, now, force, hot === view.id);
    }
    for (const [id, { g, status }] of this.dcStatus ?? []) {
      const dc = state.dcs.find((d) => d.id === id);
      const word = !dc || dc.status === "up" ? "" : `${STATUS_MARK.down} ${this.format.word(`status_${dc.status}`)}`;
      setText(status, word);
      g.dataset.status = dc?.status ?? "up";
    }
    for (const view of this.edgeViews) {
      const rates = view.route.edge.rates;
      const total = (rates.read ?? 0) + (rates.write ?? 0) + (rates.static ?? 0) + (rates.queued ?? 0);
      const width = (1.2 + Math.min(5, Math.log10(1 + total) * 1.1)) * (this.geometry.z.scale);
      const key = `${width.toFixed(1)}|${(rates.failed ?? 0) > 0}|${total > 0}`;
      if (view.key !== key) {
        view.key = key;
        view.path.style.strokeWidth = `${width.toFixed(1)}px`;
        view.path.classList.toggle("lab-edge--failing", (rates.failed ?? 0) > 0);
        view.path.classList.toggle("lab-edge--idle", total <= 0);
      }
    }
  }

  _updateNode(view, node, state, now, force, hot) {
    const f = this.format;
    const v = node.values;
    const status = v.status ?? "up";
    const util = state.value(node, "util", now);
    const { w, z } = view;
    const failed = FAILED.has(status);
    const stateKey = `${status}|${node.role}|${hot}`;
    if (force || view.lastKey !== stateKey) {
      view.lastKey = stateKey;
      view.g.dataset.status = status;
      view.g.classList.toggle("is-failed", failed);
      view.g.classList.toggle("is-down", status === "down");
      view.g.classList.toggle("is-busy", ["starting", "draining", "resizing", "promoting"].includes(status));
      view.g.classList.toggle("is-hot", hot);
      view.g.setAttribute("aria-label", this.describe(node, state));
      // Role badge (master / replica / shard / hot) on the top edge; status word on the bottom edge.
      let badge = "";
      let badgeClass = "";
      if (node.role === "master") [badge, badgeClass] = [f.word("master_badge"), "master"];
      else if (node.role === "replica") [badge, badgeClass] = [f.word("role_replica"), "replica"];
      if (hot) [badge, badgeClass] = [`▲ ${f.word("hot_badge")}`, "hot"];
      else if (node.role === "shard") [badge, badgeClass] = [f.word("role_shard"), "replica"];
      this._pill(view.badge, view.badgeRect, view.badgeText, badge, w - 8 * z.scale, "end");
      view.badge.setAttribute("class", `lab-node__badge lab-node__badge--${badgeClass}`);
      const word = status === "up" ? "" : `${STATUS_MARK[status] ?? ""} ${f.word(`status_${status}`)}`.trim();
      this._pill(view.status, view.statusRect, view.statusText, word, w / 2, "middle");
      view.status.setAttribute("class", `lab-node__status lab-node__status--${status}`);
    }
    const shownUtil = typeof util === "number" && !failed ? util : 0;
    const fillW = Math.round(w * Math.min(1, shownUtil) * 2) / 2;
    if (view.fillW !== fillW) {
      view.fillW = fillW;
      view.fill.setAttribute("width", fillW);
      view.bar.setAttribute("width", fillW);
      const level = shownUtil >= 0.9 ? "bad" : shownUtil >= 0.7 ? "warn" : "ok";
      if (view.level !== level) {
        view.level = level;
        view.g.dataset.load = level;
      }
    }
    const [line1, line2] = this.counters(node, state, now);
    setText(view.line1, line1);
    setText(view.line2, line2);
    view.line2.classList.toggle("is-error", (v.err ?? 0) > 0 && !failed);
  }

  _pill(group, rect, text, word, anchorX, align) {
    setText(text, word);
    group.style.display = word ? "" : "none";
    if (!word) return;
    const padding = 7 * (this.geometry?.z.scale ?? 1);
    const width = text.getComputedTextLength() + 2 * padding;
    const x = align === "end" ? anchorX - width : anchorX - width / 2;
    rect.setAttribute("x", x.toFixed(1));
    rect.setAttribute("width", width.toFixed(1));
    text.setAttribute("x", (x + width / 2).toFixed(1));
  }

  // The two counter lines of a node: its load, then what matters for its tier.
  counters(node, state, now) {
    const f = this.format;
    const v = node.values;
    const rps = state.value(node, "rps", now);
    const util = state.value(node, "util", now);
    const err = state.value(node, "err", now) ?? 0;
    const status = v.status ?? "up";
    switch (node.tier) {
      case "clients": {
        const share = state.settings?.region_shares?.[node.region] ?? 1;
        const users = (state.settings?.users ?? 0) * share;
        return [`${f.compact(users)} ${f.word("users_unit")}`, f.rate(rps)];
      }
      case "dns": {
        const live = state.dcs.filter((dc) => dc.status === "up").map((dc) => dc.id);
        return [live.length ? `→ ${live.join(", ")}` : "", ""];
      }
      default:
        break;
    }
    if (FAILED.has(status) || status === "resizing") {
      return [err > 0 ? `✕ ${f.rate(err)}` : f.rate(rps), ""];
    }
    const load = `${f.rate(rps)} · ${f.pct(util)}`;
    if (err > 0.05) return [load, `✕ ${f.rate(err)} ${f.word("errors_word")}`];
    const lat = state.value(node, "lat_ms", now);
    switch (node.tier) {
      case "web":
      case "session":
        if (v.sessions != null) return [load, `${f.word("sessions_word")} ${f.compact(state.value(node, "sessions", now))}`];
        return [load, lat != null ? f.ms(lat) : ""];
      case "db":
        if (v.lag_ms != null) return [load, `${f.word("lag_word")} ${f.ms(state.value(node, "lag_ms", now))}`];
        return [load, lat != null ? f.ms(lat) : ""];
      case "cache":
        return [load, `${f.word("hit_word")} ${f.pct(v.hit)}`];
      case "queue":
        return [f.rate(rps), `${f.word("backlog_word")} ${f.compact(state.value(node, "backlog", now))}`];
      default:
        return [load, lat != null ? f.ms(lat) : ""];
    }
  }

  describe(node, state) {
    const f = this.format;
    const tier = f.word(`tier_${node.tier}`);
    const role = node.role ? ` (${f.word(`role_${node.role}`)})` : "";
    return f.word("node_summary", { node: this._label(node, state) + role, tier, status: f.word(`status_${node.values.status ?? "up"}`) });
  }

  // --- Keyboard and pointer: one node is tabbable (roving tabindex), arrows move, Enter opens.
  _click(event) {
    const g = event.target.closest?.("[data-node]");
    if (!g) return;
    const view = this.nodeViews.get(g.dataset.node);
    if (!view) return;
    this.focus(view.id);
    if (view.actionable) this.onActivate(view.id, g);
  }

  _key(event) {
    const g = event.target.closest?.("[data-node]");
    if (!g) return;
    const view = this.nodeViews.get(g.dataset.node);
    if (!view) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      event.stopPropagation();
      if (view.actionable) this.onActivate(view.id, g);
      return;
    }
    const dirs = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] };
    const dir = dirs[event.key];
    if (!dir) return;
    event.preventDefault();
    event.stopPropagation();
    const next = this._neighbour(view.id, dir);
    if (next) this.focus(next);
  }

  _neighbour(id, [dx, dy]) {
    const boxes = this.geometry.boxes;
    const from = boxes.get(id);
    const cx = from.x + from.w / 2;
    const cy = from.y + from.h / 2;
    let best = null;
    let bestScore = Infinity;
    for (const [other, box] of boxes) {
      if (other === id) continue;
      const ox = box.x + box.w / 2 - cx;
      const oy = box.y + box.h / 2 - cy;
      const along = ox * dx + oy * dy;
      if (along <= 1) continue;
      const across = Math.abs(ox * dy - oy * dx);
      const score = along + across * 2.5;
      if (score < bestScore) {
        bestScore = score;
        best = other;
      }
    }
    return best;
  }

  focus(id) {
    const view = this.nodeViews.get(id);
    if (!view) return;
    for (const other of this.nodeViews.values()) other.g.setAttribute("tabindex", other.id === id ? "0" : "-1");
    this.focusId = id;
    view.g.focus({ preventScroll: false });
  }

  nodeElement(id) {
    return this.nodeViews.get(id)?.g ?? null;
  }

  destroy() {
    this.container.replaceChildren();
    this.svg = null;
  }
}
