// The lab's WebSocket (envelope: docs/lab-socket.md). Plain WebSocket, not htmx-ws: 10 frames a
// second are JSON, not HTML. Reconnects with full-jitter exponential backoff and asks for a
// keyframe after each reconnect; a hidden tab tells the server to stop streaming.

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;
const GIVE_UP_CODES = new Set([4403, 4404]); // not this session's lab, or gone: reloading is the fix

export class LabSocket {
  constructor(path, { onMessage, onStatus }) {
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.ws = null;
    this.seq = 0;
    this.attempt = 0;
    this.timer = null;
    this.closed = false;
    this.everOpened = false;
    this.status = "connecting";
    this._online = () => this.reconnectNow();
    this._offline = () => this._setStatus("offline");
    window.addEventListener("online", this._online);
    window.addEventListener("offline", this._offline);
  }

  connect() {
    if (this.closed) return;
    clearTimeout(this.timer);
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this._retry();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.attempt = 0;
      this._setStatus("connected");
      if (document.hidden) this.send({ type: "visibility", hidden: true });
      if (reconnected) this.send({ type: "keyframe" });
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.ws) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onMessage(message);
    });
    ws.addEventListener("close", (event) => {
      if (ws !== this.ws || this.closed) return;
      this.ws = null;
      if (GIVE_UP_CODES.has(event.code)) {
        this._setStatus("offline", event.code);
        return;
      }
      this._retry(event.code);
    });
  }

  _retry(code) {
    if (this.closed) return;
    this._setStatus(navigator.onLine === false ? "offline" : "reconnecting", code);
    const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** this.attempt);
    this.attempt += 1;
    this.timer = setTimeout(() => this.connect(), Math.random() * ceiling);
  }

  reconnectNow() {
    if (this.closed || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    this.attempt = 0;
    this.connect();
  }

  _setStatus(status, code) {
    this.status = status;
    this.onStatus(status, code);
  }

  get open() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(message) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  // Send an engine or lab command; returns its seq (null when the socket is not open).
  command(command) {
    this.seq += 1;
    return this.send({ type: "command", seq: this.seq, command }) ? this.seq : null;
  }

  visibility(hidden) {
    this.send({ type: "visibility", hidden });
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    window.removeEventListener("online", this._online);
    window.removeEventListener("offline", this._offline);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      try {
        ws.close(1000);
      } catch {
        /* already closing */
      }
    }
  }
}
