// Boots every live lab on the page ([data-lab]) and tears it down on navigation: the socket, the
// animation loop, the charts and every listener go away on pagehide (and come back if the page
// is restored from the back/forward cache) or when htmx removes the lab from the page.

import { Charts } from "lab/charts.js";
import { Controls } from "lab/controls.js";
import { Diagram } from "lab/diagram.js";
import { makeFormat } from "lab/format.js";
import { Announcer, Counters, EventLog, LatestEvent, NodeTable } from "lab/panels.js";
import { Shortcuts } from "lab/shortcuts.js";
import { LabSocket } from "lab/socket.js";
import { LabState } from "lab/state.js";
import { Traffic } from "lab/traffic.js";

const MOTION_KEY = "scalelab_motion";
const FAILED = new Set(["down", "detecting"]);

class Lab {
  constructor(root) {
    this.root = root;
    // The lab's HTML is the same for every visitor of a preset; the host element around it names
    // this visitor's lab: its socket, seed and share link.
    const host = root.closest("[data-lab-host]");
    this.config = {
      ...JSON.parse(document.getElementById(`${root.id}-config`).textContent),
      lab: host.dataset.labId,
      ws_path: host.dataset.wsPath,
      seed: Number(host.dataset.seed),
      share_path: host.dataset.sharePath,
    };
    const config = this.config;
    this.format = makeFormat(config.locale, config.strings);
    this.state = new LabState({ windowS: config.window_s });
    this.cleanups = [];
    this.raf = null;
    this.destroyed = false;
    this.lastFrameAt = performance.now();
    this.lastSeq = 0;
    this.lastTopologySync = 0;
    this.statusKey = "";

    const stage = root.querySelector("[data-lab-diagram]");
    stage.id = `${root.id}-diagram`;
    this.stage = stage;
    this.diagram = new Diagram(stage, {
      format: this.format,
      strings: config.strings,
      onActivate: (id, element) => this.openNode(id, element),
    });
    this.traffic = new Traffic(this.diagram);
    this.counters = new Counters(root, this.format, { reducedMotion: () => this.reduced });
    this.log = new EventLog(root, { format: this.format, messages: config.messages, state: this.state });
    this.latest = new LatestEvent(root, { format: this.format, messages: config.messages, state: this.state });
    this.table = new NodeTable(root, { format: this.format, diagram: this.diagram });
    this.announcer = new Announcer(root.querySelector("[data-lab-announcer]"), {
      format: this.format,
      messages: config.messages,
      state: this.state,
    });
    this.charts = new Charts(root.querySelector("[data-lab-charts]"), {
      plotlySrc: config.plotly_src,
      format: this.format,
      strings: config.strings,
      groups: config.groups,
    });
    this.charts.attach(this.state);
    this.socket = new LabSocket(config.ws_path, {
      onMessage: (message) => this.receive(message),
      onStatus: (status, code) => this.connection(status, code),
    });
    this.controls = new Controls(root, {
      socket: this.socket,
      state: this.state,
      format: this.format,
      config,
      announcer: this.announcer,
      onMotion: () => this.toggleMotion(),
      onShortcuts: () => this.showSheet(),
    });
    this.controls.setPlayState({ seed: config.seed, sharePath: config.share_path });
    this.shortcuts = new Shortcuts(root, {
      standalone: config.standalone,
      actions: {
        togglePlay: () => this.controls.togglePlay(),
        step: () => this.controls.step(),
        toggleMotion: () => this.toggleMotion(),
        showSheet: () => this.showSheet(),
      },
    });

    // Motion: the system setting, or the lab's own toggle (remembered in this browser).
    this.motionQuery = window.matchMedia("(prefers-reduced-motion: reduce)");
    this.userReduced = localStorage.getItem(MOTION_KEY) === "reduced";
    this.listen(this.motionQuery, "change", () => this.applyMotion());
    this.applyMotion();

    this.listen(document, "visibilitychange", () => {
      this.socket.visibility(document.hidden);
      if (!document.hidden) this.loop();
    });
    this.listen(document, "scalelab:theme", () => requestAnimationFrame(() => this.redraw()));
    this.resizeObserver = new ResizeObserver(() => {
      if (this.state.ready && Math.abs(stage.clientWidth - this.diagram.width) > 8) this.redraw();
    });
    this.resizeObserver.observe(stage);

    const dialog = root.querySelector("[data-lab-node-dialog]");
    this.nodeDialog = dialog;
    this.listen(dialog, "close", () => {
      this.dialogNode = null;
    });
    this.listen(dialog, "click", (event) => {
      if (event.target === dialog) dialog.close(); // a click on the backdrop
    });
    this.listen(root.querySelector("[data-lab-shortcut-sheet]"), "click", (event) => {
      if (event.target.matches("dialog")) event.target.close();
    });

    this.socket.connect();
  }

  listen(target, type, handler) {
    target.addEventListener(type, handler);
    this.cleanups.push(() => target.removeEventListener(type, handler));
  }

  // ------------------------------------------------------------------ socket
  connection(status, code) {
    this.root.dataset.state = status;
    let word = this.format.word(status);
    if (code === 4403 || code === 4404) word = this.format.word("expired");
    this.root.querySelector("[data-lab-conn-text]").textContent = word;
  }

  receive(message) {
    switch (message.type) {
      case "welcome":
        this.root.dataset.role = message.role ?? "runner";
        this.controls.setPlayState({ paused: message.paused, speed: message.speed, seed: message.seed, sharePath: message.share_path });
        break;
      case "frame":
      case "key":
      case "delta":
        this.frame(message.type === "frame" && message.frame ? message.frame : message);
        break;
      case "ack":
        this.controls.ack(message.seq);
        break;
      case "error":
        this.controls.refused(message);
        break;
      case "state":
        if (message.role) this.root.dataset.role = message.role;
        this.controls.setPlayState({ paused: message.paused, speed: message.speed, seed: message.seed });
        this.loop();
        break;
      default:
        break;
    }
  }

  frame(raw) {
    const frame = raw;
    if (frame.type === "frame") frame.type = "nodes" in frame ? "key" : "delta";
    if (frame.type === "delta" && this.lastSeq && frame.seq !== this.lastSeq + 1) {
      // A gap (a frame lost across a reconnect): deltas no longer apply; ask for a keyframe.
      this.lastSeq = 0;
      this.socket.send({ type: "keyframe" });
      return;
    }
    const change = this.state.apply(frame);
    if (!change) {
      if (frame.type === "delta") this.socket.send({ type: "keyframe" });
      return;
    }
    this.lastSeq = frame.seq ?? 0;
    const state = this.state;
    if (change.reset) {
      this.log.reset();
      this.latest.reset();
    }
    for (const event of change.events) {
      if (event.key === "hot_key_changed") this.diagram.hotNode = event.params?.state ? event.node : null;
      if (event.key === "shards_changed") this.diagram.hotNode = null;
    }
    if (change.topology) {
      this.redraw();
      this.table.rebuild(state);
      this.controls.syncTopology();
      this.root.querySelector("[data-lab-loading]")?.remove();
    } else {
      const statusKey = state.nodes.map((n) => n.values.status).join(",") + state.dcs.map((d) => d.status).join(",");
      const now = performance.now();
      if (statusKey !== this.statusKey || now - this.lastTopologySync > 1000) {
        this.statusKey = statusKey;
        this.lastTopologySync = now;
        this.controls.syncTopology();
      }
    }
    if (change.settings) this.controls.syncSettings();
    this.traffic.updateRates();
    this.counters.update(state.metrics);
    this.log.add(change.events);
    if (change.events.length) this.latest.show(change.events);
    this.announcer.push(change.events);
    this.table.update(state);
    this.root.dataset.tick = String(state.tick);
    this.root.dataset.version = String(state.version);
    this.root.querySelector("[data-lab-time]").textContent = this.format.word("time_label", { t: this.format.seconds(state.t) });
    if (this.dialogNode) this.fillNodeDialog(this.dialogNode, false);
    this.loop();
  }

  redraw() {
    if (!this.state.ready) return;
    this.diagram.render(this.state);
    this.traffic.rebuild();
    this.traffic.setEnabled(!this.reduced);
    this.traffic.updateRates();
    this.loop();
  }

  // ------------------------------------------------------------------ animation
  loop() {
    if (this.raf !== null || this.destroyed) return;
    this.raf = requestAnimationFrame((now) => this.animate(now));
  }

  animate(now) {
    this.raf = null;
    if (this.destroyed || document.hidden) return;
    const dt = Math.min(100, now - this.lastFrameAt);
    this.lastFrameAt = now;
    if (this.state.ready) {
      this.diagram.update(this.state, now);
      this.traffic.frame(this.state, now, dt, !this.controls.paused, this.controls.speed);
      this.stage.dataset.dots = String(this.reduced ? 0 : this.traffic.visible);
    }
    // Paused and settled: nothing moves, so stop asking for frames until the next server frame.
    const settled = now - this.state.frameAt > 2 * this.state.frameGapMs && this.traffic.bursts.length === 0;
    if (this.controls.paused && settled) return;
    this.loop();
  }

  applyMotion() {
    this.reduced = this.motionQuery.matches || this.userReduced;
    this.root.dataset.motion = this.reduced ? "reduced" : "full";
    const button = this.root.querySelector("[data-lab-motion]");
    button.setAttribute("aria-pressed", String(this.reduced));
    this.traffic.setEnabled(!this.reduced);
    if (!this.reduced) this.traffic.updateRates();
    this.stage.dataset.dots = String(this.reduced ? 0 : this.traffic.visible);
    this.loop();
  }

  toggleMotion() {
    this.userReduced = !this.reduced;
    if (this.motionQuery.matches && !this.userReduced) this.userReduced = false;
    localStorage.setItem(MOTION_KEY, this.userReduced ? "reduced" : "full");
    this.applyMotion();
    if (this.reduced) this.announcer.say(this.format.word("reduce_motion_on"));
  }

  showSheet() {
    const sheet = this.root.querySelector("[data-lab-shortcut-sheet]");
    if (!sheet.open) sheet.showModal();
  }

  // ------------------------------------------------------------------ node actions
  openNode(id, element) {
    const dialog = this.nodeDialog;
    this.dialogNode = id;
    this.fillNodeDialog(id, true);
    if (!dialog.open) dialog.showModal();
    const rect = element.getBoundingClientRect();
    if (window.innerWidth >= 640) {
      dialog.classList.add("lab-dialog--anchored");
      const box = dialog.getBoundingClientRect();
      const left = Math.min(window.innerWidth - box.width - 12, Math.max(12, rect.left + rect.width / 2 - box.width / 2));
      const below = rect.bottom + 10;
      const top = below + box.height < window.innerHeight - 12 ? below : Math.max(12, rect.top - box.height - 10);
      dialog.style.left = `${left}px`;
      dialog.style.top = `${top}px`;
    } else {
      dialog.classList.remove("lab-dialog--anchored");
      dialog.style.left = "";
      dialog.style.top = "";
    }
    dialog.querySelector("[data-node-actions] button:not([disabled])")?.focus();
  }

  fillNodeDialog(id, rebuild) {
    const dialog = this.nodeDialog;
    const node = this.state.byId.get(id);
    if (!node) {
      dialog.close();
      return;
    }
    const f = this.format;
    const v = node.values;
    const status = v.status ?? "up";
    dialog.dataset.node = id;
    dialog.querySelector("[data-node-title]").textContent = f.word("node_dialog_title", {
      node: node.id,
      tier: f.word(`tier_${node.tier}`) + (node.role ? ` (${f.word(`role_${node.role}`)})` : ""),
    });
    const statusLine = dialog.querySelector("[data-node-status]");
    statusLine.textContent = f.word(`status_${status}`);
    statusLine.dataset.status = status;
    const facts = [
      [f.word("util_word"), v.util == null ? "–" : f.pct(v.util)],
      [f.word("rps_unit"), f.number(v.rps)],
      [f.word("errors_word"), f.rate(v.err ?? 0)],
    ];
    if (v.lat_ms != null) facts.push([f.word("latency_word"), f.ms(v.lat_ms)]);
    if (v.sessions != null) facts.push([f.word("sessions_word"), f.whole(v.sessions)]);
    if (v.lag_ms != null) facts.push([f.word("lag_word"), f.ms(v.lag_ms)]);
    if (node.tier === "queue") facts.push([f.word("backlog_word"), f.whole(v.backlog)]);
    if (v.hit != null) facts.push([f.word("hit_word"), f.pct(v.hit)]);
    if (node.size) facts.push([f.word("size_word"), node.size]);
    if (node.capacity_rps) facts.push([f.word("capacity_word"), f.rate(node.capacity_rps)]);
    if (node.cost_per_hour) facts.push([f.word("cost_word"), `$${f.money(node.cost_per_hour)}${f.word("per_hour")}`]);
    const dl = dialog.querySelector("[data-node-facts]");
    dl.replaceChildren(
      ...facts.map(([term, value]) => {
        const div = document.createElement("div");
        const dt = document.createElement("dt");
        dt.textContent = term;
        const dd = document.createElement("dd");
        dd.textContent = value;
        div.append(dt, dd);
        return div;
      }),
    );
    const actions = this.actionsFor(node);
    const key = actions.map((a) => a.action).join(",");
    const box = dialog.querySelector("[data-node-actions]");
    if (rebuild || box.dataset.key !== key) {
      const hadFocus = box.contains(document.activeElement) ? document.activeElement.dataset.action : null;
      box.dataset.key = key;
      const form = document.createElement("form");
      form.className = "lab-control lab-buttons";
      for (const { action, command, args } of actions) {
        const button = document.createElement("button");
        button.type = "submit";
        button.className = `lab-btn${action === "fail" ? " lab-btn--danger" : action === "promote" || action === "recover" ? " lab-btn--primary" : ""}`;
        button.dataset.command = command;
        button.dataset.action = action;
        button.dataset.args = JSON.stringify(args);
        button.textContent = f.word(`action_${action}`);
        form.append(button);
      }
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const submitter = event.submitter;
        this.controls.send({ cmd: submitter.dataset.command, ...JSON.parse(submitter.dataset.args) }, form);
      });
      box.replaceChildren(form);
      if (rebuild) dialog.querySelector("[data-error]").hidden = true;
      if (hadFocus) box.querySelector(`[data-action="${hadFocus}"]`)?.focus();
      else if (box.contains(document.activeElement) === false && dialog.contains(document.activeElement) === false) box.querySelector("button")?.focus();
      dialog.querySelector("[data-node-noactions]").hidden = actions.length > 0;
    }
  }

  actionsFor(node) {
    const allowed = this.config.node_actions[node.tier] ?? [];
    const status = node.values.status ?? "up";
    const failed = FAILED.has(status);
    const master = this.state.master;
    const masterFailed = !master || FAILED.has(master.values.status);
    const out = [];
    for (const action of allowed) {
      if (action === "fail" && !failed) out.push({ action, command: "fail_node", args: { node: node.id } });
      if (action === "recover" && failed) out.push({ action, command: "recover_node", args: { node: node.id } });
      if (action === "promote" && node.role === "replica" && masterFailed && !failed) out.push({ action, command: "promote_replica", args: { node: node.id } });
      if (action === "resize_up" && node.size) out.push({ action, command: "resize_node", args: { node: node.id, size: "up" } });
      if (action === "resize_down" && node.size) out.push({ action, command: "resize_node", args: { node: node.id, size: "down" } });
      if (action === "remove" && node.role !== "master" && node.role !== "shard") out.push({ action, command: "remove_node", args: { node: node.id } });
    }
    return out;
  }

  destroy() {
    this.destroyed = true;
    if (this.raf !== null) cancelAnimationFrame(this.raf);
    this.socket.close();
    this.charts.destroy();
    this.controls.destroy();
    this.shortcuts.destroy();
    this.announcer.destroy();
    this.resizeObserver.disconnect();
    for (const cleanup of this.cleanups) cleanup();
    this.diagram.destroy();
  }
}

const running = new Map();

function bootAll() {
  for (const root of document.querySelectorAll("[data-lab]")) {
    if (running.has(root)) continue;
    try {
      running.set(root, new Lab(root));
    } catch (error) {
      root.dataset.state = "offline";
      console.error(error);
    }
  }
}

function teardown(scope = document) {
  for (const [root, lab] of running) {
    if (scope === document || scope.contains(root)) {
      lab.destroy();
      running.delete(root);
    }
  }
}

window.addEventListener("pagehide", () => teardown());
window.addEventListener("pageshow", (event) => {
  if (event.persisted) bootAll();
});
document.addEventListener("htmx:beforeCleanupElement", (event) => teardown(event.target));
bootAll();
