// A small Phoenix Channels client (Supabase Realtime flavour, protocol 1.0.0): one socket, many channels, replies
// matched by ref, presence state kept per channel. No libraries, no build step.
"use strict";

class RallyChannel {
  constructor(socket, subtopic, config) {
    this.socket = socket;
    this.topic = "realtime:" + subtopic;
    this.config = config;
    this.handlers = {};
    this.presence = {};
    this.joinRef = null;
  }

  // Handlers by event name: broadcasts by their own event ("capacity", "message", …), and "presence",
  // "system", "phx_close" for the rest.
  on(event, handler) { this.handlers[event] = handler; return this; }

  // Resolves with the join reply: {status: "ok"|"error", response}.
  async join() {
    await this.socket.joinSlot();
    const payload = {config: {broadcast: {self: true, ack: true}, presence: {enabled: false}, private: true,
                              postgres_changes: [], ...this.config}, access_token: this.socket.token};
    const request = this.socket.request(this.topic, "phx_join", payload, null);
    this.joinRef = request.ref;
    return request.reply;
  }

  // A broadcast push; resolves with its reply (channels are joined with ack, so every push gets one).
  broadcast(event, payload) {
    return this.socket.request(this.topic, "broadcast", {type: "broadcast", event, payload}, this.joinRef).reply;
  }

  track(meta) {
    return this.socket.request(this.topic, "presence", {type: "presence", event: "track", payload: meta},
                               this.joinRef).reply;
  }

  receive(message) {
    const payload = message.payload;
    if (message.event === "broadcast") {
      this.emit(payload.event, payload.payload, payload.meta || {});
    } else if (message.event === "presence_state") {
      this.presence = {};
      this.applyPresence({joins: payload});
    } else if (message.event === "presence_diff") {
      this.applyPresence(payload);
    } else {
      this.emit(message.event, payload, {});
    }
  }

  applyPresence(diff) {
    for (const [key, {metas}] of Object.entries(diff.joins || {})) {
      const replaced = new Set(metas.map(m => m.phx_ref_prev).filter(Boolean));
      this.presence[key] = (this.presence[key] || []).filter(m => !replaced.has(m.phx_ref)).concat(metas);
    }
    for (const [key, {metas}] of Object.entries(diff.leaves || {})) {
      const gone = new Set(metas.map(m => m.phx_ref));
      this.presence[key] = (this.presence[key] || []).filter(m => !gone.has(m.phx_ref));
      if (this.presence[key].length === 0) delete this.presence[key];
    }
    this.emit("presence", this.presence, {});
  }

  emit(event, payload, meta) {
    const handler = this.handlers[event];
    if (handler) handler(payload, meta);
  }
}

class RallySocket {
  static joinsPerSecond = 8;

  constructor(url, token) {
    this.url = url;
    this.token = token;
    this.ref = 0;
    this.channels = new Map();
    this.replies = new Map();
    this.onclose = null;
  }

  connect() {
    return new Promise((resolve, reject) => {
      this.ws = new WebSocket(this.url);
      this.ws.onopen = () => {
        this.heartbeat = setInterval(() => this.request("phoenix", "heartbeat", {}, null), 25000);
        resolve();
      };
      this.ws.onerror = reject;
      this.ws.onmessage = (e) => this.receive(JSON.parse(e.data));
      this.ws.onclose = (e) => { clearInterval(this.heartbeat); if (this.onclose) this.onclose(e); };
    });
  }

  // Waits until one more join stays within the node's joins a second per socket (RALLY_JOINS_PER_SECOND,
  // default 10): a page that joins a dozen channels at once paces them rather than being refused.
  async joinSlot() {
    for (;;) {
      const now = performance.now();
      this.joinTimes = (this.joinTimes || []).filter(t => now - t < 1100);
      if (this.joinTimes.length < RallySocket.joinsPerSecond) { this.joinTimes.push(now); return; }
      await new Promise(resolve => setTimeout(resolve, 1100 - (now - this.joinTimes[0])));
    }
  }

  channel(subtopic, config = {}) {
    const channel = new RallyChannel(this, subtopic, config);
    this.channels.set(channel.topic, channel);
    return channel;
  }

  request(topic, event, payload, joinRef) {
    const ref = String(++this.ref);
    const reply = new Promise((resolve) => this.replies.set(ref, resolve));
    // A join's own ref is its join_ref, as phoenix.js does; later pushes on the topic carry it.
    this.ws.send(JSON.stringify({topic, event, payload, ref, join_ref: event === "phx_join" ? ref : joinRef}));
    return {ref, reply};
  }

  receive(message) {
    if (message.event === "phx_reply" && this.replies.has(message.ref)) {
      const resolve = this.replies.get(message.ref);
      this.replies.delete(message.ref);
      resolve(message.payload);
      return;
    }
    const channel = this.channels.get(message.topic);
    if (channel) channel.receive(message);
  }
}
