// Rally's admin dashboard: polls /admin/api/stats every second with the admin credential, and inspects a topic
// over Rally's own WebSocket protocol (Phoenix v1 JSON) with a service_role token from /admin/api/token.
// No libraries, no build step. Every server-provided string goes into the page as text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let credential = null;
let poller = null;

const TILES = [
  ["connections", "connections", (s) => s.connections],
  ["channels", "channels (joined)", (s) => s.channels],
  ["topics", "topics", (s) => s.topics],
  ["joins", "joins/s", (s) => s.rates.joins],
  ["messages_in", "messages in/s", (s) => s.rates.messages_in],
  ["published", "messages out/s (published)", (s) => s.rates.published],
  ["deliveries", "deliveries/s", (s) => s.rates.deliveries],
  ["p50", "fanout p50 ms", (s) => s.fanout_ms.p50],
  ["p90", "fanout p90 ms", (s) => s.fanout_ms.p90],
  ["p99", "fanout p99 ms", (s) => s.fanout_ms.p99],
  ["slow", "slow-consumer closes", (s) => s.slow_consumer_closes],
  ["published_total", "published (total)", (s) => s.totals.published],
];
const series = new Map(TILES.map(([key]) => [key, []]));

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function buildTiles() {
  const tiles = $("tiles");
  for (const [key, label] of TILES) {
    const tile = el("div", undefined, "tile");
    tile.append(el("div", label, "label"));
    const value = el("div", "–", "value");
    value.id = "v-" + key;
    tile.append(value);
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 60 26");
    svg.setAttribute("preserveAspectRatio", "none");
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.id = "s-" + key;
    svg.append(line);
    tile.append(svg);
    tiles.append(tile);
  }
}

function format(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value !== "number") return String(value);
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString("en") : String(value);
}

function spark(key, value) {
  const points = series.get(key);
  points.push(typeof value === "number" ? value : 0);
  if (points.length > 60) points.shift();
  const max = Math.max(1e-9, ...points);
  const offset = 60 - points.length;
  $("s-" + key).setAttribute("points",
    points.map((v, i) => `${offset + i},${(25 - (v / max) * 24).toFixed(1)}`).join(" "));
}

function fillRows(id, rows) {
  const body = $(id);
  body.replaceChildren(...rows.map((cells) => {
    const row = el("tr");
    for (const cell of cells) {
      if (cell instanceof Node) { const td = el("td"); td.append(cell); row.append(td); }
      else row.append(el("td", format(cell), typeof cell === "number" ? "n" : undefined));
    }
    return row;
  }));
}

function state(ok) {
  if (ok === null || ok === undefined) return el("span", "–", "dim");
  return el("span", ok ? "up" : "down", ok ? "ok" : "bad");
}

function render(s) {
  $("node").textContent = `${s.node.mode} node ${s.node.id} · up ${s.node.uptime_s} s` +
    (s.node.draining ? " · DRAINING" : "");
  for (const [key, , pick] of TILES) {
    const value = pick(s);
    $("v-" + key).textContent = format(value);
    spark(key, value);
  }
  fillRows("busiest", s.busiest.map((t) => {
    const name = t.topic.replace(/^realtime:/, "");
    const button = el("button", "inspect", "small");
    button.addEventListener("click", () => { $("inspect-topic").value = name; inspect(); });
    return [name, t.subscribers, t.presences, button];
  }));
  fillRows("rejections", s.rejections.map((r) => [r.key, r.total, r.rate]));
  fillRows("closes", s.closes.map((r) => [r.key, r.total, r.rate]));
  const deps = [["database", el("span", s.database.kind)], ["database ready", state(s.database.ready)],
                ["database listening", state(s.database.listening)]];
  if (s.bus.configured) {
    deps.push(["bus", el("span", s.bus.kind)], ["bus up", state(s.bus.up)], ["bus ready", state(s.bus.ready)],
              ["other nodes", s.bus.other_nodes], ["bus down for (s)", s.bus.down_for_s ?? "–"],
              ["bus published/s", s.rates.bus_published], ["bus received/s", s.rates.bus_received]);
  } else {
    deps.push(["bus", el("span", "none (node alone)", "dim")]);
  }
  fillRows("dependencies", deps);
}

async function poll() {
  try {
    const response = await fetch("/admin/api/stats", { headers: { authorization: "Bearer " + credential },
                                                       cache: "no-store" });
    if (response.status === 401 || response.status === 403) return signOut(`refused (${response.status})`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
    $("status").textContent = "live · " + new Date().toLocaleTimeString();
    $("status").className = "ok";
  } catch (error) {
    $("status").textContent = "unreachable: " + error.message;
    $("status").className = "bad";
  }
}

function signIn(token) {
  credential = token;
  sessionStorage.setItem("rally-admin", token);
  document.body.classList.remove("signed-out");
  poll();
  poller = setInterval(poll, 1000);
}

function signOut(why) {
  clearInterval(poller);
  credential = null;
  sessionStorage.removeItem("rally-admin");
  document.body.classList.add("signed-out");
  $("status").textContent = why;
  $("status").className = "bad";
}

// ---- Inspector: Phoenix Channels v1 JSON over Rally's realtime socket ----
let socket = null, joined = null, ref = 0, heartbeat = null;

function log(line, className) {
  const box = $("inspect-log");
  box.append(el("div", `${new Date().toLocaleTimeString()}  ${line}`, className));
  while (box.childElementCount > 300) box.firstChild.remove();
  box.scrollTop = box.scrollHeight;
}

function push(topic, event, payload, joinRef) {
  ref += 1;
  socket.send(JSON.stringify({ topic, event, payload, ref: String(ref), join_ref: joinRef ?? null }));
  return String(ref);
}

async function inspectorSocket() {
  if (socket && socket.readyState === WebSocket.OPEN) return socket;
  const response = await fetch("/admin/api/token", { method: "POST",
                                                     headers: { authorization: "Bearer " + credential } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/realtime/v1/websocket?apikey=` +
                         encodeURIComponent(body.token) + "&vsn=1.0.0");
  socket.binaryType = "arraybuffer";
  socket.token = body.token;
  socket.addEventListener("message", (event) => received(event.data));
  socket.addEventListener("close", (event) => {
    clearInterval(heartbeat);
    if (joined) log(`socket closed (${event.code} ${event.reason})`, "bad");
    joined = null; socket = null;
    $("inspect-status").textContent = "not joined";
  });
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", () => reject(new Error("socket refused")), { once: true });
  });
  heartbeat = setInterval(() => push("phoenix", "heartbeat", {}), 25000);
  return socket;
}

function received(data) {
  if (typeof data !== "string") { log(`[binary frame, ${data.byteLength} bytes]`); return; }
  const message = JSON.parse(data);
  if (!joined || message.topic !== joined.topic) return;
  if (message.event === "phx_reply" && message.ref === joined.ref) {
    const ok = message.payload.status === "ok";
    $("inspect-status").textContent = ok ? `joined ${joined.name}` : "join refused";
    log(ok ? `joined ${joined.topic}` : `join refused: ${JSON.stringify(message.payload.response)}`, ok ? "ok" : "bad");
    return;
  }
  if (message.event === "phx_reply") return;
  if (message.event === "broadcast") {
    log(`broadcast ${message.payload.event}: ${JSON.stringify(message.payload.payload)}`);
  } else {
    log(`${message.event}: ${JSON.stringify(message.payload)}`);
  }
}

async function inspect() {
  const name = $("inspect-topic").value.trim();
  if (!name) return;
  try {
    await inspectorSocket();
    leave();
    const topic = "realtime:" + name;
    joined = { name, topic, ref: null };
    joined.ref = push(topic, "phx_join", {
      config: { broadcast: { self: false, ack: false }, presence: { key: "" }, private: $("inspect-private").checked },
      access_token: socket.token,
    });
    joined.joinRef = joined.ref;
    $("inspect-status").textContent = `joining ${name}…`;
  } catch (error) {
    log("inspector: " + error.message, "bad");
  }
}

function leave() {
  if (!joined || !socket) return;
  push(joined.topic, "phx_leave", {}, joined.joinRef);
  log(`left ${joined.topic}`, "dim");
  joined = null;
  $("inspect-status").textContent = "not joined";
}

buildTiles();
$("signin").addEventListener("submit", (event) => { event.preventDefault(); signIn($("credential").value.trim()); });
$("inspect-form").addEventListener("submit", (event) => { event.preventDefault(); inspect(); });
$("inspect-leave").addEventListener("click", leave);
{
  // `/admin#token=…` signs in without typing (the fragment never reaches the server or its logs) and is then
  // removed from the address bar.
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromFragment) history.replaceState(null, "", location.pathname);
  const saved = fromFragment || sessionStorage.getItem("rally-admin");
  if (saved) signIn(saved);
}
