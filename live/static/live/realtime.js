// The real-time protocol client shared by the console, overlay and audience pages.
// See docs/realtime.md. One LiveStream follows one session stream:
//   - on open it says hello with the last seq it saw, and the server replays or sends a snapshot;
//   - it applies events in seq order; a gap makes it ask again (resync); frames without a seq
//     (vote counts) are applied as they come, once a snapshot is in hand;
//   - a heartbeat every few seconds proves the server is there; without one, the stream is stale;
//   - it reconnects by itself, with backoff, and never needs a page reload.

export const Status = Object.freeze({
  CONNECTING: "connecting",
  LIVE: "live",
  RECONNECTING: "reconnecting",
  STALE: "stale",
  DENIED: "denied",
});

// Close codes after which retrying cannot help (not logged in, no access, no such session).
const FATAL_CLOSE_CODES = new Set([4401, 4403, 4404]);
// The id of hello frames, so that an error answering one (the server cannot reach its database)
// is told apart from other errors, and the hello is sent again.
const HELLO_ID = "hello";

export function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

export class LiveStream {
  // url: websocket URL. handlers: { snapshot(data, seq), event(type, data, seq),
  // status(status, detail), error(frame) }.
  // staleAfterMs: how long without any frame before the stream counts as stale (red), also the
  // longest it stays "reconnecting" before turning stale.
  constructor(url, handlers, { staleAfterMs = 4500, maxBackoffMs = 3000 } = {}) {
    this.url = url;
    this.handlers = handlers;
    this.staleAfterMs = staleAfterMs;
    this.baseStaleAfterMs = staleAfterMs;
    this.maxBackoffMs = maxBackoffMs;
    this.seq = null;
    this.status = null;
    this.socket = null;
    this.attempt = 0;
    this.lastFrameAt = 0;
    this.lostAt = null;
    this.pending = new Map();
    this.nextId = 1;
    this.closedByUs = false;
    this.watchdog = window.setInterval(() => this.checkAlive(), 500);
  }

  start() {
    this.setStatus(Status.CONNECTING);
    this.open();
    return this;
  }

  open() {
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (err) {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.lastFrameAt = Date.now();
      this.hello();
    });
    socket.addEventListener("message", (ev) => this.onFrame(socket, ev.data));
    socket.addEventListener("close", (ev) => this.onClose(socket, ev.code));
  }

  onFrame(socket, raw) {
    if (socket !== this.socket) return;
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch (err) {
      return;
    }
    this.lastFrameAt = Date.now();
    const { seq, type, data } = frame;
    if (type === "snapshot") {
      this.seq = seq;
      this.handlers.snapshot?.(data, seq);
      this.markLive();
    } else if (type === "heartbeat") {
      // The server says how often it beats (audience sockets beat less often than the crew's).
      const interval = Number(data?.interval);
      if (interval > 0) this.staleAfterMs = Math.max(this.baseStaleAfterMs, interval * 2250);
      if (this.seq !== null && seq > this.seq) {
        this.resync(); // the server is ahead of us: an event went missing
        return;
      }
      this.markLive();
    } else if (type === "error" && data && data.id === HELLO_ID) {
      this.retryHello(socket);
    } else if (type === "ack" || type === "error") {
      const waiter = data && data.id != null ? this.pending.get(data.id) : null;
      if (waiter) {
        this.pending.delete(data.id);
        if (type === "ack") waiter.resolve(data);
        else waiter.reject(data);
      } else if (type === "error") {
        this.handlers.error?.(data);
      }
    } else if (typeof seq === "number") {
      if (this.seq === null || seq <= this.seq) return; // before the snapshot, or a repeat
      if (seq !== this.seq + 1) {
        this.resync();
        return;
      }
      this.seq = seq;
      this.handlers.event?.(type, data, seq);
    } else if (seq === null && this.seq !== null) {
      // A volatile frame (vote counts): outside the stream's order, absolute, newest wins.
      this.handlers.event?.(type, data, null);
    }
  }

  hello() {
    this.sendRaw({ type: "hello", id: HELLO_ID, data: { seq: this.seq } });
  }

  resync() {
    this.hello();
  }

  // The server answered a hello with an error (e.g. "unavailable" while its database is down):
  // ask again after a backoff, on the same socket, until a snapshot or the events come.
  retryHello(socket) {
    const base = Math.min(this.maxBackoffMs, 250 * 2 ** this.attempt);
    this.attempt += 1;
    window.setTimeout(
      () => {
        if (socket === this.socket) this.hello();
      },
      base / 2 + Math.random() * (base / 2),
    );
  }

  markLive() {
    this.attempt = 0;
    this.lostAt = null;
    this.setStatus(Status.LIVE);
  }

  onClose(socket, code) {
    if (socket !== this.socket) return;
    this.socket = null;
    this.failPending();
    if (this.closedByUs) return;
    if (FATAL_CLOSE_CODES.has(code)) {
      this.setStatus(Status.DENIED, code);
      return;
    }
    if (this.lostAt === null) this.lostAt = Date.now();
    if (this.status !== Status.STALE) this.setStatus(Status.RECONNECTING);
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    const base = Math.min(this.maxBackoffMs, 250 * 2 ** this.attempt);
    this.attempt += 1;
    const delay = base / 2 + Math.random() * (base / 2);
    window.setTimeout(() => {
      if (!this.closedByUs) this.open();
    }, delay);
  }

  checkAlive() {
    const now = Date.now();
    if (this.status === Status.LIVE && now - this.lastFrameAt > this.staleAfterMs) {
      // No heartbeat: the socket may look open but nothing comes through. Start again.
      this.lostAt = this.lastFrameAt;
      this.setStatus(Status.STALE);
      const socket = this.socket;
      this.socket = null;
      this.failPending();
      if (socket) socket.close();
      this.scheduleReconnect();
    } else if (
      this.status === Status.RECONNECTING &&
      this.lostAt !== null &&
      now - this.lostAt > this.staleAfterMs * 0.66
    ) {
      this.setStatus(Status.STALE);
    }
  }

  // Commands waiting for an answer on a socket that is gone will never get one.
  failPending() {
    for (const waiter of this.pending.values()) {
      waiter.reject({ code: "disconnected", message: "The connection was lost." });
    }
    this.pending.clear();
  }

  setStatus(status, detail) {
    if (status === this.status) return;
    this.status = status;
    this.handlers.status?.(status, detail);
  }

  sendRaw(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  // Send a command; resolves with the ack's data, rejects with the error frame's data.
  command(type, data = {}) {
    const id = `c${this.nextId++}`;
    return new Promise((resolve, reject) => {
      if (!this.sendRaw({ type, id, data })) {
        reject({ code: "disconnected", message: "Not connected: try again in a moment." });
        return;
      }
      this.pending.set(id, { resolve, reject });
    });
  }

  stop() {
    this.closedByUs = true;
    window.clearInterval(this.watchdog);
    if (this.socket) this.socket.close();
  }
}
