// The control panel and the toolbar. Every control is a <form> (server-rendered,
// templates/sandbox/_controls.html): submitting it sends a command over the socket; forms with
// data-auto submit on change. A refusal shows next to its control, in the visitor's language.
// Controls follow the server's settings from the frames, so two tabs on one lab agree.

import { fromLog, toLog } from "lab/format.js";

const DEBOUNCE_MS = 250;
const HOLD_AFTER_INPUT_MS = 1500;
const STEP_TICKS = 10;

function getPath(object, path) {
  return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), object);
}

function convert(input) {
  const type = input.dataset.type;
  if (type === "bool") return input.checked;
  if (type === "int") return Math.round(Number(input.value));
  if (type === "float") return Number(input.value);
  if (type === "log") return fromLog(input.value, Number(input.dataset.min ?? 1), Number(input.dataset.max ?? 1e7));
  return input.value;
}

export class Controls {
  constructor(root, { socket, state, format, config, announcer, onMotion, onShortcuts }) {
    this.root = root;
    this.socket = socket;
    this.state = state;
    this.format = format;
    this.config = config;
    this.announcer = announcer;
    this.pending = new Map(); // seq -> form (or a node dialog)
    this.touched = new WeakMap(); // form -> last time the user changed it
    this.timers = new WeakMap();
    this.paused = false;
    this.speed = 1;
    this.onMotion = onMotion;
    this.onShortcuts = onShortcuts;
    this.handlers = [];
    this._wireForms();
    this._wireToolbar();
    for (const error of root.querySelectorAll("[data-error]")) error.setAttribute("aria-live", "polite");
    this._ticks();
    this._collapseOnPhones();
  }

  on(target, type, handler, options) {
    target.addEventListener(type, handler, options);
    this.handlers.push([target, type, handler, options]);
  }

  destroy() {
    for (const [target, type, handler, options] of this.handlers) target.removeEventListener(type, handler, options);
  }

  // ---------------------------------------------------------------- sending
  send(command, form) {
    const seq = this.socket.command(command);
    if (seq === null) {
      this.showError(form, this.format.word("offline"));
      return null;
    }
    if (form) {
      this.pending.set(seq, form);
      form.classList.add("is-pending");
    }
    return seq;
  }

  ack(seq) {
    const form = this.pending.get(seq);
    if (!form) return;
    this.pending.delete(seq);
    form.classList.remove("is-pending");
    this.showError(form, "");
  }

  refused(message) {
    const form = message.seq != null ? this.pending.get(message.seq) : null;
    if (message.seq != null) this.pending.delete(message.seq);
    const text = message.message || message.key;
    if (form) {
      form.classList.remove("is-pending");
      this.showError(form, text);
    } else {
      this.toast(text);
    }
  }

  showError(form, text) {
    const box = form?.querySelector("[data-error]") ?? form?.closest("dialog")?.querySelector("[data-error]");
    if (!box) {
      if (text) this.toast(text);
      return;
    }
    box.textContent = text ? `⚠ ${text}` : "";
    box.hidden = !text;
  }

  toast(text) {
    const toast = this.root.querySelector("[data-lab-toast]");
    if (!toast) return;
    toast.textContent = text;
    toast.hidden = !text;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => {
      toast.hidden = true;
    }, 6000);
  }

  // ---------------------------------------------------------------- forms
  _wireForms() {
    for (const form of this.root.querySelectorAll("form.lab-control")) {
      this.on(form, "submit", (event) => {
        event.preventDefault();
        this._submit(form, event.submitter);
      });
      this.on(form, "input", (event) => {
        this.touched.set(form, performance.now());
        delete event.target.dataset.exact;
        this._outputs(form, event.target);
      });
      if (form.hasAttribute("data-auto")) {
        this.on(form, "change", (event) => {
          if (event.target.hasAttribute("data-no-auto")) return;
          this.touched.set(form, performance.now());
          clearTimeout(this.timers.get(form));
          const delay = event.target.type === "range" ? DEBOUNCE_MS : 0;
          this.timers.set(form, setTimeout(() => this._submit(form, null), delay));
        });
      }
    }
    const resize = this.root.querySelector("[data-resize] [data-node-select]");
    if (resize) this.on(resize, "change", () => this._syncResize());
    const tier = this.root.querySelector("[data-as-tier]");
    if (tier) this.on(tier, "change", () => this._syncAutoscale(true));
  }

  _submit(form, submitter) {
    const command = submitter?.dataset.command ?? form.dataset.command;
    if (!command) return;
    const args = {};
    for (const input of form.elements) {
      if (!input.name || input.disabled || input.closest("fieldset:disabled")) continue;
      if (input.type === "radio" && !input.checked) continue;
      if (input.tagName === "BUTTON") continue;
      args[input.name] = convert(input);
    }
    if (submitter?.dataset.stepField) {
      const field = form.elements[submitter.dataset.stepField];
      const next = Number(field.value || 0) + Number(submitter.dataset.step);
      const bounded = Math.min(Number(field.max ?? next), Math.max(Number(field.min ?? next), next));
      field.value = String(bounded);
      args[field.name] = bounded;
    }
    if (submitter?.dataset.args) Object.assign(args, JSON.parse(submitter.dataset.args));
    const pick = submitter?.dataset.pick;
    if (pick) {
      const node = this.pick(pick);
      if (!node) {
        this.showError(form, this.format.word("remove_none"));
        return;
      }
      args.node = node;
    }
    const spec = this._fields(command);
    for (const name of Object.keys(args)) if (spec && !spec.includes(name)) delete args[name];
    this.touched.set(form, performance.now());
    this.send({ cmd: command, ...args }, form);
  }

  // The fields a command takes (so one form can carry inputs for several commands).
  _fields(command) {
    const fields = {
      set_users: ["users"],
      set_traffic: ["pattern", "read_share", "write_share", "static_share"],
      add_server: ["tier", "dc", "service", "size"],
      remove_node: ["node", "drain"],
      resize_node: ["node", "size"],
      fail_node: ["node"],
      recover_node: ["node"],
      promote_replica: ["node"],
      set_autoscaling: ["tier", "enabled", "min", "max", "target_utilization", "cooldown_s"],
      set_cache: ["enabled", "size_keys", "ttl_s"],
      set_consumers: ["count"],
      set_shards: ["count"],
      split_service: ["service", "share"],
      merge_service: ["service"],
      set_seed: ["seed"],
      add_data_center: ["region"],
      fail_data_center: ["dc"],
      recover_data_center: ["dc"],
    };
    return fields[command];
  }

  // "last:web" → the newest removable web server; "master" → the master.
  pick(what) {
    const state = this.state;
    if (what === "master") return state.master?.id ?? null;
    const [, tier] = what.split(":");
    let nodes = state.tierNodes(tier).filter((n) => n.values.status !== "draining");
    if (tier === "db") nodes = nodes.filter((n) => n.role === "replica");
    if (tier === "web") nodes = nodes.filter((n) => n.service === "web");
    return nodes[nodes.length - 1]?.id ?? null;
  }

  _outputs(form, input) {
    const f = this.format;
    if (input?.name === "users") {
      const users = input.dataset.exact ? Number(input.dataset.exact) : convert(input);
      const text = `${f.compact(users)} ${f.word("users_unit")}`;
      form.querySelector("[data-users-out]").textContent = users >= 1000 ? `${text} (${f.whole(users)})` : text;
      input.setAttribute("aria-valuetext", `${f.whole(users)} ${f.word("users_unit")}`);
    }
    if (input?.name?.endsWith("_share") && form.querySelector(`[data-share-out="${input.name}"]`)) {
      const inputs = ["read_share", "write_share", "static_share"].map((name) => form.elements[name]);
      const total = inputs.reduce((sum, el) => sum + Number(el.value), 0) || 1;
      for (const el of inputs) {
        const share = Number(el.value) / total;
        form.querySelector(`[data-share-out="${el.name}"]`).textContent = f.pct(share);
        el.setAttribute("aria-valuetext", f.pct(share));
      }
    }
    if (input?.name === "size_keys") {
      const keys = input.dataset.exact ? Number(input.dataset.exact) : convert(input);
      form.querySelector("[data-cache-out]").textContent = f.compact(keys);
      input.setAttribute("aria-valuetext", f.whole(keys));
    }
    if (input?.name === "share" && form.querySelector("[data-hot-out]")) {
      form.querySelector("[data-hot-out]").textContent = f.pct(Number(input.value));
      input.setAttribute("aria-valuetext", f.pct(Number(input.value)));
    }
    if (input?.name === "share" && form.querySelector("[data-service-out]")) {
      form.querySelector("[data-service-out]").textContent = f.pct(Number(input.value));
      input.setAttribute("aria-valuetext", f.pct(Number(input.value)));
    }
    if (input?.name === "target_utilization") {
      form.querySelector("[data-as-out]").textContent = f.pct(Number(input.value));
      input.setAttribute("aria-valuetext", f.pct(Number(input.value)));
    }
  }

  _ticks() {
    for (const stop of this.root.querySelectorAll("[data-users-stop]")) stop.textContent = this.format.compact(Number(stop.dataset.usersStop));
    for (const form of this.root.querySelectorAll("form.lab-control")) {
      for (const input of form.querySelectorAll("input[type=range]")) this._outputs(form, input);
    }
  }

  _collapseOnPhones() {
    if (!window.matchMedia("(max-width: 40rem)").matches) return;
    const groups = [...this.root.querySelectorAll(".lab-group")];
    groups.forEach((group, index) => {
      if (index > 0) group.open = false;
    });
  }

  // ---------------------------------------------------------------- following the server
  _busy(form) {
    const touched = this.touched.get(form) ?? -Infinity;
    return performance.now() - touched < HOLD_AFTER_INPUT_MS || form.classList.contains("is-pending");
  }

  syncSettings() {
    const settings = this.state.settings ?? {};
    for (const input of this.root.querySelectorAll("[data-setting]")) {
      const form = input.form;
      if (form && this._busy(form)) continue;
      if (input === document.activeElement && input.type !== "radio" && input.type !== "checkbox") continue;
      const value = getPath(settings, input.dataset.setting);
      if (value === undefined) continue;
      if (input.type === "radio") input.checked = String(value) === input.value;
      else if (input.type === "checkbox") input.checked = Boolean(value);
      else if (input.dataset.type === "log") {
        input.value = String(toLog(value));
        input.dataset.exact = String(value);
      }
      else if (input.tagName === "SELECT" && input.dataset.type === "float") {
        const match = [...input.options].find((option) => Number(option.value) === Number(value));
        if (!match) input.add(new Option(`${this.format.number(value)} ${this.format.word("s_unit")}`, String(value)));
        input.value = match ? match.value : String(value);
      } else input.value = String(value);
      if (form) this._outputs(form, input);
    }
    this._syncAutoscale(false);
  }

  syncTopology() {
    const state = this.state;
    const f = this.format;
    const describe = (node) => {
      const role = node.role ? ` (${f.word(`role_${node.role}`)})` : "";
      const status = node.values.status && node.values.status !== "up" ? ` — ${f.word(`status_${node.values.status}`)}` : "";
      return `${node.id}${role}${status}`;
    };
    const lists = {
      faults: state.nodes.filter((n) => n.tier !== "clients" && n.tier !== "dns"),
      resize: state.nodes.filter((n) => n.tier === "web" || n.tier === "db"),
      replica: state.nodes.filter((n) => n.role === "replica"),
    };
    for (const select of this.root.querySelectorAll("[data-node-select]")) {
      const nodes = lists[select.dataset.nodeSelect] ?? [];
      const previous = select.value;
      const texts = nodes.map(describe);
      const same = select.options.length === nodes.length && nodes.every((n, i) => select.options[i].value === n.id && select.options[i].text === texts[i]);
      if (!same) {
        select.replaceChildren(...nodes.map((n, i) => new Option(texts[i], n.id)));
        if (nodes.some((n) => n.id === previous)) select.value = previous;
        else if (select.dataset.nodeSelect === "faults") {
          // Default to a node worth failing: the second web server, else the master.
          const web = state.tierNodes("web");
          select.value = (web[1] ?? web[0] ?? state.master ?? nodes[0])?.id ?? "";
        }
      }
    }
    const master = state.master;
    for (const form of this.root.querySelectorAll("[data-needs=master]")) form.hidden = !master;
    const counts = {
      web: state.tierNodes("web").length,
      db: state.nodes.filter((n) => n.role === "replica").length,
      cache: state.tierNodes("cache").length,
      worker: state.tierNodes("worker").length,
    };
    const show = {
      web: true,
      db: Boolean(master),
      cache: counts.cache > 0 || Boolean(state.settings?.cache?.enabled),
      worker: state.tierNodes("queue").length > 0,
    };
    for (const row of this.root.querySelectorAll("[data-tier-row]")) {
      const tier = row.dataset.tierRow;
      row.hidden = !show[tier];
      const out = row.querySelector("[data-tier-count]");
      if (out) out.textContent = String(counts[tier] ?? 0);
    }
    this._syncResize();
    this._dcList();
    this._serviceList();
  }

  _syncResize() {
    const form = this.root.querySelector("[data-resize]");
    if (!form) return;
    const select = form.querySelector("[data-node-select]");
    const node = this.state.byId.get(select.value);
    const tier = node?.tier === "db" ? "db" : "web";
    for (const fieldset of form.querySelectorAll("[data-ladder]")) {
      const active = fieldset.dataset.ladder === tier;
      fieldset.hidden = !active;
      fieldset.disabled = !active;
    }
    if (node && !this._busy(form)) {
      for (const radio of form.querySelectorAll(`[data-ladder="${tier}"] input[name=size]`)) radio.checked = radio.value === node.size;
    }
  }

  _syncAutoscale(force) {
    const form = this.root.querySelector("[data-autoscale]");
    if (!form || (!force && this._busy(form))) return;
    const tier = form.querySelector("[data-as-tier]").value;
    const rule = this.state.settings?.autoscaling?.[tier];
    if (!rule) return;
    for (const input of form.querySelectorAll("[data-as]")) {
      const value = rule[input.dataset.as];
      if (input.type === "checkbox") input.checked = Boolean(value);
      else input.value = String(value);
      this._outputs(form, input);
    }
  }

  _dcList() {
    const box = this.root.querySelector("[data-dc-list]");
    if (!box) return;
    const f = this.format;
    const key = this.state.dcs.map((dc) => `${dc.id}:${dc.status}`).join(",");
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren(
      ...this.state.dcs.map((dc) => {
        const form = document.createElement("form");
        form.className = "lab-control lab-dc-row";
        form.dataset.dc = dc.id;
        const label = document.createElement("span");
        label.className = "lab-dc-row__name";
        const status = dc.status === "up" ? "" : ` — ${f.word(`status_${dc.status}`)}`;
        label.textContent = `${f.word("dc_label", { dc: dc.id, region: f.word(`region_${dc.region}`) })}${status}`;
        const buttons = document.createElement("div");
        buttons.className = "lab-buttons";
        for (const [command, word, danger] of [["fail_data_center", "action_fail", true], ["recover_data_center", "action_recover", false]]) {
          const button = document.createElement("button");
          button.type = "submit";
          button.className = `lab-btn${danger ? " lab-btn--danger" : ""}`;
          button.dataset.command = command;
          button.dataset.args = JSON.stringify({ dc: dc.id });
          button.textContent = f.word(word);
          button.setAttribute("aria-label", `${f.word(word)} ${dc.id}`);
          buttons.append(button);
        }
        const error = document.createElement("p");
        error.className = "lab-control__error";
        error.dataset.error = "";
        error.hidden = true;
        error.setAttribute("aria-live", "polite");
        form.append(label, buttons, error);
        form.addEventListener("submit", (event) => {
          event.preventDefault();
          this._submit(form, event.submitter);
        });
        return form;
      }),
    );
  }

  _serviceList() {
    const box = this.root.querySelector("[data-service-list]");
    if (!box) return;
    const services = this.state.groups.filter((group) => group.service !== "web");
    const key = services.map((g) => `${g.service}:${g.members.length}`).join(",");
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    const seen = new Set();
    box.replaceChildren(
      ...services
        .filter((group) => !seen.has(group.service) && seen.add(group.service))
        .map((group) => {
          const form = document.createElement("form");
          form.className = "lab-control lab-dc-row";
          const label = document.createElement("span");
          label.textContent = `${group.service} × ${group.members.length}`;
          const button = document.createElement("button");
          button.type = "submit";
          button.className = "lab-btn";
          button.dataset.command = "merge_service";
          button.dataset.args = JSON.stringify({ service: group.service });
          button.textContent = "⤺ web";
          button.setAttribute("aria-label", `${group.service} → web`);
          const error = document.createElement("p");
          error.className = "lab-control__error";
          error.dataset.error = "";
          error.hidden = true;
          form.append(label, button, error);
          form.addEventListener("submit", (event) => {
            event.preventDefault();
            this._submit(form, event.submitter);
          });
          return form;
        }),
    );
  }

  // ---------------------------------------------------------------- toolbar
  _wireToolbar() {
    const q = (selector) => this.root.querySelector(selector);
    const play = q("[data-lab-play]");
    this.on(play, "click", () => this.togglePlay());
    this.on(q("[data-lab-step]"), "click", () => this.step());
    this.on(q("[data-lab-speed]"), "change", (event) => {
      this.send({ cmd: "set_speed", speed: Number(event.target.value) }, null);
    });
    this.on(q("[data-lab-reset]"), "click", () => this.send({ cmd: "reset" }, null));
    this.on(q("[data-lab-motion]"), "click", () => this.onMotion());
    this.on(q("[data-lab-shortcuts]"), "click", () => this.onShortcuts());
    const copy = q("[data-lab-copy]");
    if (copy) this.on(copy, "click", () => this.copyShare());
  }

  togglePlay() {
    this.send({ cmd: this.paused ? "resume" : "pause" }, null);
    this.setPlayState({ paused: !this.paused });
  }

  step() {
    if (!this.paused) this.send({ cmd: "pause" }, null);
    this.setPlayState({ paused: true });
    this.send({ cmd: "step", ticks: STEP_TICKS }, null);
  }

  setPlayState({ paused, speed, seed, sharePath }) {
    if (paused !== undefined) {
      this.paused = Boolean(paused);
      this.root.dataset.paused = String(this.paused);
    }
    if (speed !== undefined && speed !== null) {
      this.speed = Number(speed);
      const select = this.root.querySelector("[data-lab-speed]");
      if ([...select.options].some((o) => Number(o.value) === this.speed)) select.value = [...select.options].find((o) => Number(o.value) === this.speed).value;
    }
    if (seed !== undefined && seed !== null) {
      const input = this.root.querySelector("[data-lab-seed]");
      if (input && input !== document.activeElement) input.value = String(seed);
    }
    if (sharePath) {
      const share = this.root.querySelector("[data-lab-share]");
      if (share) share.value = new URL(sharePath, location.origin).href;
    }
  }

  async copyShare() {
    const share = this.root.querySelector("[data-lab-share]");
    const status = this.root.querySelector("[data-lab-copy-status]");
    try {
      await navigator.clipboard.writeText(share.value);
      status.textContent = this.format.word("copied");
    } catch {
      share.select();
      status.textContent = this.format.word("copy_failed");
    }
  }
}
