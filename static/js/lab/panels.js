// The text side of the lab: headline counters, the event log (filter by severity and node), the
// node table (the diagram's text twin, refreshed at most once a second) and the polite live
// region that announces what matters (failures, promotions, lost sessions and writes) at most
// every few seconds.

const SEVERITY_RANK = { info: 0, warning: 1, error: 2 };
const SEVERITY_MARK = { info: "ℹ", warning: "⚠", error: "✕" };
const MAX_LOG_ITEMS = 200;
const ANNOUNCE_EVERY_MS = 4000;
const IMPORTANT = new Set([
  "node_failed",
  "master_failed",
  "failure_detected",
  "failure_detected_no_spare",
  "master_failure_detected",
  "replica_promoted",
  "awaiting_manual_promotion",
  "no_replica_to_promote",
  "sessions_lost",
  "dc_failed",
  "dc_rerouted",
  "dc_unreachable",
  "messages_dropped",
  "overload_started",
  "node_recovered",
  "hot_key_changed",
  "shards_changed",
]);

export class Counters {
  constructor(root, format, { reducedMotion }) {
    this.format = format;
    this.reducedMotion = reducedMotion;
    this.items = [...root.querySelectorAll("[data-metric]")].map((el) => ({
      el,
      name: el.dataset.metric,
      out: el.querySelector("[data-out]"),
      last: null,
    }));
  }

  update(metrics) {
    const f = this.format;
    for (const item of this.items) {
      const value = metrics[item.name];
      if (value == null) continue;
      let text;
      if (item.name === "availability_total") text = f.pctPrecise(value).replace("%", "");
      else if (item.name === "p95_ms") text = value >= 10 ? f.whole(value) : f.number(value);
      else if (item.name === "cost_per_hour") text = f.money(value);
      else text = f.whole(value);
      if (item.out.textContent !== text) item.out.textContent = text;
      item.el.dataset.value = String(value);
      const loss = item.el.classList.contains("lab-counter--loss");
      item.el.classList.toggle("is-bad", loss ? value > 0 : item.name === "availability_total" && value < 0.99);
      const now = performance.now();
      if (item.last !== null && loss && value > item.last && !this.reducedMotion() && now - (item.flashedAt ?? -1e9) > 4000) {
        item.flashedAt = now;
        item.el.classList.remove("is-flash");
        void item.el.offsetWidth; // restart the highlight
        item.el.classList.add("is-flash");
      }
      item.last = value;
    }
  }
}

// The newest event that matters, under the diagram, where the eye already is.
export class LatestEvent {
  constructor(root, { format, messages, state }) {
    this.box = root.querySelector("[data-lab-latest]");
    this.time = root.querySelector("[data-lab-latest-time]");
    this.text = root.querySelector("[data-lab-latest-text]");
    this.format = format;
    this.messages = messages;
    this.state = state;
  }

  show(events) {
    const event = [...events].reverse().find((e) => e.severity !== "info" || IMPORTANT.has(e.key)) ?? events[events.length - 1];
    if (!event || !this.box) return;
    this.box.hidden = false;
    this.box.dataset.severity = event.severity;
    this.time.textContent = this.format.word("event_time", { t: this.format.seconds(event.t) });
    this.text.textContent = `${SEVERITY_MARK[event.severity] ?? ""} ${this.state.eventText(event, this.messages, this.format)}`;
  }

  reset() {
    if (this.box) this.box.hidden = true;
  }
}

export class EventLog {
  constructor(root, { format, messages, state }) {
    this.list = root.querySelector("[data-lab-log]");
    this.empty = root.querySelector("[data-lab-log-empty]");
    this.severity = root.querySelector("[data-log-severity]");
    this.nodeFilter = root.querySelector("[data-log-node]");
    this.format = format;
    this.messages = messages;
    this.state = state;
    this.nodesSeen = new Set();
    this.severity.addEventListener("change", () => this.filter());
    this.nodeFilter.addEventListener("change", () => this.filter());
  }

  reset() {
    this.list.replaceChildren();
    this.nodesSeen.clear();
    for (const option of [...this.nodeFilter.options].slice(1)) option.remove();
    this.empty.hidden = false;
  }

  add(events) {
    if (!events.length) return;
    const f = this.format;
    const fragment = document.createDocumentFragment();
    for (const event of events) {
      const li = document.createElement("li");
      li.className = `lab-log__item lab-log__item--${event.severity}`;
      li.dataset.severity = event.severity;
      li.dataset.node = event.node ?? "";
      li.dataset.key = event.key;
      const time = document.createElement("span");
      time.className = "lab-log__time";
      time.textContent = f.word("event_time", { t: f.seconds(event.t) });
      const mark = document.createElement("span");
      mark.className = "lab-log__sev";
      mark.textContent = `${SEVERITY_MARK[event.severity] ?? ""} ${f.word(`severity_${event.severity}`)}`;
      const text = document.createElement("span");
      text.className = "lab-log__text";
      text.textContent = this.state.eventText(event, this.messages, f);
      li.append(time, mark, text);
      li.hidden = !this._matches(li);
      fragment.prepend(li);
      if (event.node && !this.nodesSeen.has(event.node)) {
        this.nodesSeen.add(event.node);
        this.nodeFilter.add(new Option(event.node, event.node));
      }
    }
    this.list.prepend(fragment);
    while (this.list.children.length > MAX_LOG_ITEMS) this.list.lastElementChild.remove();
    this.empty.hidden = this.list.children.length > 0;
  }

  _matches(li) {
    const severity = this.severity.value;
    const node = this.nodeFilter.value;
    if (severity && (SEVERITY_RANK[li.dataset.severity] ?? 0) < SEVERITY_RANK[severity]) return false;
    if (severity === "info" && li.dataset.severity !== "info") return false;
    if (node && li.dataset.node !== node) return false;
    return true;
  }

  filter() {
    for (const li of this.list.children) li.hidden = !this._matches(li);
  }
}

export class NodeTable {
  constructor(root, { format, diagram }) {
    this.details = root.querySelector("[data-lab-twin]");
    this.body = root.querySelector("[data-lab-twin-body]");
    this.format = format;
    this.diagram = diagram;
    this.rows = new Map();
    this.lastAt = 0;
  }

  rebuild(state) {
    this.rows = new Map();
    const fragment = document.createDocumentFragment();
    for (const node of state.nodes) {
      const tr = document.createElement("tr");
      tr.dataset.node = node.id;
      const th = document.createElement("th");
      th.scope = "row";
      const cells = [th];
      for (let i = 0; i < 6; i += 1) cells.push(document.createElement("td"));
      tr.append(...cells);
      fragment.append(tr);
      this.rows.set(node.id, cells);
    }
    this.body.replaceChildren(fragment);
    this.update(state, true);
  }

  update(state, force = false) {
    const now = performance.now();
    if (!force && (now - this.lastAt < 1000 || !this.details.open)) return;
    this.lastAt = now;
    const f = this.format;
    for (const node of state.nodes) {
      const cells = this.rows.get(node.id);
      if (!cells) continue;
      const v = node.values;
      const role = node.role ? ` (${f.word(`role_${node.role}`)})` : "";
      const other = [];
      if (v.sessions != null) other.push(`${f.word("sessions_word")} ${f.whole(v.sessions)}`);
      if (v.lag_ms != null) other.push(`${f.word("lag_word")} ${f.ms(v.lag_ms)}`);
      if (v.hit != null) other.push(`${f.word("hit_word")} ${f.pct(v.hit)}`);
      if (node.tier === "queue") other.push(`${f.word("backlog_word")} ${f.whole(v.backlog)}`);
      if (v.lat_ms != null) other.push(`${f.word("latency_word")} ${f.ms(v.lat_ms)}`);
      const texts = [
        `${this.diagram._label(node, state)}${role}`,
        f.word(`tier_${node.tier}`),
        f.word(`status_${v.status ?? "up"}`),
        v.util == null ? "–" : f.pct(v.util),
        f.number(v.rps),
        v.err == null ? "–" : f.number(v.err),
        other.join(" · "),
      ];
      texts.forEach((text, i) => {
        if (cells[i].textContent !== text) cells[i].textContent = text;
      });
      cells[0].parentElement.dataset.status = v.status ?? "up";
    }
  }
}

export class Announcer {
  constructor(region, { format, messages, state }) {
    this.region = region;
    this.format = format;
    this.messages = messages;
    this.state = state;
    this.queue = [];
    this.lastAt = 0;
    this.timer = null;
  }

  push(events) {
    for (const event of events) {
      if (IMPORTANT.has(event.key) || event.severity === "error") this.queue.push(event);
    }
    if (this.queue.length) this._schedule();
  }

  _schedule() {
    if (this.timer) return;
    const wait = Math.max(0, this.lastAt + ANNOUNCE_EVERY_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.queue.length) return;
      const events = this.queue.splice(0).slice(-3);
      const text = events.map((event) => this.state.eventText(event, this.messages, this.format)).join(". ");
      this.region.textContent = `${this.format.word("announce_prefix")}${text}`;
      this.lastAt = performance.now();
    }, wait);
  }

  say(text) {
    this.region.textContent = text;
    this.lastAt = performance.now();
  }

  destroy() {
    clearTimeout(this.timer);
  }
}
