// Traffic dots: drawn in the browser from each edge's rates (the engine is a fluid model; a dot
// is a picture of a rate, not a request). Per edge and kind, the number of dots grows with
// log10 of the rate, capped in total; shapes and colours by kind (read ●, write ■, static ▲,
// queued ▬). Red × bursts at nodes where requests fail. 60 fps with requestAnimationFrame;
// nothing moves while the lab is paused, the tab is hidden, or motion is reduced.

const NS = "http://www.w3.org/2000/svg";
const KINDS = ["read", "write", "static", "queued"];
const SPEED_PX_S = 110;
const MAX_BURSTS = 48;
const BURST_MS = 750;

function dotsFor(rate) {
  if (!(rate > 0)) return 0;
  return Math.max(1, Math.min(10, Math.round(1 + 2.2 * Math.log10(1 + rate))));
}

// A small deterministic hash, so a stream's dots keep their places between rebuilds.
function jitter(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return ((h >>> 0) % 1000) / 1000;
}

export class Traffic {
  constructor(diagram, { maxDots = 300 } = {}) {
    this.diagram = diagram;
    this.maxDots = maxDots;
    this.streams = new Map();
    this.bursts = [];
    this.clock = 0;
    this.enabled = true;
    this.visible = 0;
    this.burstDebt = new Map();
  }

  // After the diagram was redrawn: the old dots are gone with the old SVG.
  rebuild() {
    this.streams = new Map();
    this.bursts = [];
    this.layer = this.diagram.particleLayer;
    this.burstLayer = this.diagram.burstLayer;
    this.visible = 0;
  }

  setEnabled(enabled) {
    this.enabled = enabled;
    if (!enabled) {
      for (const stream of this.streams.values()) for (const use of stream.uses) use.remove();
      this.streams = new Map();
      for (const burst of this.bursts) burst.use.remove();
      this.bursts = [];
      this.visible = 0;
    }
  }

  // On every frame: how many dots each (edge, kind) stream should have.
  updateRates() {
    if (!this.enabled || !this.layer) return;
    const wanted = [];
    let total = 0;
    for (const [index, view] of this.diagram.edgeViews.entries()) {
      const rates = view.route.edge.rates;
      for (const kind of KINDS) {
        const n = dotsFor(rates[kind]);
        if (n) {
          wanted.push({ key: `${index}:${kind}`, view, kind, n });
          total += n;
        }
      }
    }
    const factor = total > this.maxDots ? this.maxDots / total : 1;
    const keep = new Set();
    let visible = 0;
    for (const want of wanted) {
      const n = Math.max(1, Math.floor(want.n * factor));
      keep.add(want.key);
      let stream = this.streams.get(want.key);
      if (!stream) {
        stream = { view: want.view, kind: want.kind, uses: [], offset: jitter(want.key) };
        this.streams.set(want.key, stream);
      }
      while (stream.uses.length < n) {
        const use = document.createElementNS(NS, "use");
        use.setAttribute("href", `#${this.diagram.container.id}-${want.kind}`);
        use.setAttribute("class", `lab-dot lab-dot--${want.kind}`);
        this.layer.appendChild(use);
        stream.uses.push(use);
      }
      while (stream.uses.length > n) stream.uses.pop().remove();
      visible += n;
    }
    for (const [key, stream] of this.streams) {
      if (!keep.has(key)) {
        for (const use of stream.uses) use.remove();
        this.streams.delete(key);
      }
    }
    this.visible = visible;
  }

  // Every animation frame: move the dots along their edges; grow and fade the × bursts.
  frame(state, now, dtMs, running, speed) {
    if (!this.enabled || !this.layer) return;
    if (running) this.clock += (dtMs / 1000) * Math.min(2, Math.sqrt(speed || 1));
    const scale = this.diagram.geometry?.z.scale ?? 1;
    for (const stream of this.streams.values()) {
      const route = stream.view.route;
      const travel = route.length / (SPEED_PX_S * scale);
      const n = stream.uses.length;
      const base = this.clock / travel + stream.offset;
      for (let i = 0; i < n; i += 1) {
        const u = (base + i / n) % 1;
        const [x, y] = route.at(u);
        stream.uses[i].setAttribute("transform", `translate(${x.toFixed(1)} ${y.toFixed(1)})`);
      }
    }
    if (running) this._spawnBursts(state, dtMs, now);
    this._drawBursts(now);
  }

  _spawnBursts(state, dtMs, now) {
    const boxes = this.diagram.geometry?.boxes;
    if (!boxes) return;
    for (const node of state.nodes) {
      const err = node.values.err;
      if (!(err > 0.05)) continue;
      const box = boxes.get(node.id);
      if (!box) continue;
      const perSecond = Math.min(7, 1 + 1.6 * Math.log10(1 + err));
      const debt = (this.burstDebt.get(node.id) ?? Math.random()) + (perSecond * dtMs) / 1000;
      let count = Math.floor(debt);
      this.burstDebt.set(node.id, debt - count);
      while (count > 0 && this.bursts.length < MAX_BURSTS) {
        count -= 1;
        const use = document.createElementNS(NS, "use");
        use.setAttribute("href", `#${this.diagram.container.id}-fail`);
        use.setAttribute("class", "lab-burst");
        this.burstLayer.appendChild(use);
        this.bursts.push({
          use,
          x: box.x + box.w * (0.15 + Math.random() * 0.7),
          y: box.y + box.h * (0.2 + Math.random() * 0.6),
          born: now,
        });
      }
    }
  }

  _drawBursts(now) {
    this.bursts = this.bursts.filter((burst) => {
      const age = (now - burst.born) / BURST_MS;
      if (age >= 1) {
        burst.use.remove();
        return false;
      }
      const size = 0.7 + age * 0.9;
      burst.use.setAttribute("transform", `translate(${burst.x.toFixed(1)} ${burst.y.toFixed(1)}) scale(${size.toFixed(2)})`);
      burst.use.style.opacity = (1 - age).toFixed(2);
      return true;
    });
  }
}
