// The Rally demo page: be one demo person, and watch the live feeds of the product move as other tabs act.
// Actions go to the node's demo endpoints (/demo/rsvp, /demo/event, /demo/notify, /demo/plan), which write to
// the in-memory directory; what comes back arrives over the WebSocket, through the same change pipeline that
// PostgreSQL's NOTIFY drives. Chat and plan votes are the product's own WebSocket writes.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {me: null, name: null, token: null, world: null, socket: null};
const relationshipWords = {
  self: "you", friend: "your friend", pending_outgoing: "you asked to be friends", stranger: "a stranger",
  pending_incoming: "asked to be your friend", blocking: "you blocked them", blocked_by: "blocked you",
};
const planOptions = ["Pizza", "Sushi", "Tapas"];

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value; else if (key.startsWith("on")) node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}
const nameOf = (id) => (state.world.people.find(p => p.id === id) || {name: "someone"}).name;
const slug = (name) => name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
const flash = (node) => { node.classList.remove("fresh"); void node.offsetWidth; node.classList.add("fresh"); };

async function act(path, body) {
  const response = await fetch(path, {method: "POST", body: JSON.stringify(body),
    headers: {"content-type": "application/json", authorization: "Bearer " + state.token}});
  const answer = await response.json().catch(() => ({}));
  return response.ok ? answer : {error: answer.message || String(response.status)};
}

function renderPicker(current) {
  const nav = $("people-picker");
  for (const person of state.world.people) {
    nav.append(el("a", {href: "?as=" + slug(person.name), class: person.name === current ? "current" : ""},
                  person.name));
  }
}

// profile:<person> for everyone else: joined or refused by the node's rules, shown as such.
async function joinRules() {
  const hidden = [];
  await Promise.all(state.world.people.filter(p => p.id !== state.me).map(async (person) => {
    const about = `${person.name} (${person.privacy.replace("_", " ")}, ${relationshipWords[person.relationship]}): `;
    const item = el("li", {id: "rule-" + slug(person.name)}, about + "asking the node…");
    $("rules").append(item);
    const channel = state.socket.channel("profile:" + person.id).on("activity", showActivity);
    const reply = await channel.join();
    item.textContent = "";
    if (reply.status === "ok") {
      item.append(about, el("span", {class: "allowed"}, "you see their activity"));
    } else {
      item.append(about, el("span", {class: "refused"}, "hidden: " + whyHidden(person)),
                  el("br"), el("small", {class: "hint"}, "node: " + reply.response.reason));
      hidden.push(person.name);
    }
  }));
  $("feed-hidden").textContent = hidden.length
    ? `Never shown to you, whatever they do: ${hidden.sort().join(", ")} (their profile channels were refused).`
    : "Nobody's activity is hidden from you.";
}

async function joinFeed() {
  $("feed-panel").append(el("p", {id: "feed-hidden", class: "hint refused"}));
  const reply = await state.socket.channel("feed:" + state.me).on("activity", showActivity).join();
  if (reply.status !== "ok") $("feed").append(el("li", {class: "refused"}, reply.response.reason));
  $("new-event").onsubmit = async (e) => {
    e.preventDefault();
    const title = $("new-event-title").value.trim();
    if (!title) return;
    const answer = await act("/demo/event", {title});
    $("new-event-title").value = "";
    if (answer.event_id) showEvent({id: answer.event_id, title, visibility: "public"});
  };
}

// The rule behind a refused profile, in words (docs/privacy.md); the node's own reason is shown beside it.
function whyHidden(person) {
  if (person.relationship === "blocking" || person.relationship === "blocked_by") {
    return "a block, either way: neither of you sees anything of the other";
  }
  if (person.privacy === "private") return `${person.name} shares with nobody`;
  if (person.privacy === "friends_only") return `${person.name} shares with friends only, and you are not one`;
  return "the rules refuse it";
}

const seenActivity = new Set();
function showActivity(item) {
  const key = item.id + "@" + item.at;
  if (seenActivity.has(key)) return;  // an item can reach a viewer on feed: and on profile: both
  seenActivity.add(key);
  const verb = item.verb === "created_event" ? "created" : item.verb === "going" ? "is going to" : `is ${item.verb} in`;
  const line = el("li", {"data-actor": nameOf(item.actor_id)},
                  `${nameOf(item.actor_id)} ${verb} ${item.event.title} (${item.visibility})`);
  $("feed").prepend(line);
  flash(line);
  if (item.verb === "created_event") {
    showEvent({id: item.event.event_id, title: item.event.title, visibility: item.visibility});
  }
}

async function joinEvents() {
  await Promise.all(state.world.events.map(showEvent));
}

// One event's box and its `event:` channel; an event created meanwhile (seen as activity) is added the same way.
async function showEvent(event) {
  if ($("event-" + event.id)) return;
  const count = el("span", {class: "count", id: "count-" + event.id}, "…");
  const buttons = el("span", {}, ...["going", "interested", "none"].map(status =>
    el("button", {class: "small", id: `rsvp-${status}-${event.id}`,
                  onclick: () => act("/demo/rsvp", {event_id: event.id, status})},
       status === "none" ? "not going" : status)));
  const box = el("div", {class: "event", id: "event-" + event.id},
                 el("strong", {}, event.title), ` (${event.visibility}) `, el("br"), count, " ", buttons);
  $("events").append(box);
  const channel = state.socket.channel("event:" + event.id).on("capacity", (c) => {
    const places = c.capacity == null ? "no limit" : c.full ? "FULL" : `${c.remaining} of ${c.capacity} left`;
    count.textContent = `${c.going} going · ${c.interested} interested · ${places}`;
    count.dataset.going = c.going;
    flash(count);
  });
  const reply = await channel.join();
  if (reply.status !== "ok") {
    count.textContent = "hidden from you — " + reply.response.reason;
    count.className = "refused";
    buttons.remove();
  }
}

async function joinGroups() {
  await Promise.all(state.world.groups.map(async (group) => {
    const log = el("div", {class: "log", id: "chat-" + group.id});
    const input = el("input", {placeholder: `Message ${group.name}…`, maxlength: "500"});
    const form = el("form", {}, input, el("button", {}, "Send"));
    $("groups").append(el("div", {class: "group"}, el("strong", {}, group.name), ` (${group.privacy})`, log, form));
    const say = (text, cls) => { log.append(el("p", {class: cls || ""}, text)); log.scrollTop = log.scrollHeight; };
    const channel = state.socket.channel("group:" + group.id, {broadcast: {self: true, ack: true,
                                                                replay: {after_id: "0", limit: 50}}});
    channel.on("message", (m, meta) => say(`${nameOf(m.user_id)}: ${m.body}`, meta.replayed ? "replayed" : ""))
           .on("replay_done", (r) => say(`— ${r.count} earlier message(s) replayed from the store —`, "sys"))
           .on("system", (s) => say("system: " + s.message, "sys"));
    form.onsubmit = async (e) => {
      e.preventDefault();
      const body = input.value.trim();
      if (!body) return;
      input.value = "";
      const reply = await channel.broadcast("message", {body});
      if (reply.status !== "ok") say("not sent — " + reply.response.reason, "sys");
    };
    const reply = await channel.join();
    if (reply.status !== "ok") { say("hidden from you — " + reply.response.reason, "sys"); form.remove(); }
  }));
}

async function joinNotifications() {
  let unread = 0;
  const show = (n) => {
    const line = el("li", {}, el("strong", {}, n.title), " — " + n.message);
    $("notifications").prepend(line);
    flash(line);
  };
  const channel = state.socket.channel("user:" + state.me)
    .on("notifications", ({unread: list, count}) => {
      $("notifications").textContent = ""; list.forEach(show); unread = count; $("unread").textContent = unread;
    })
    .on("notification", (n) => { show(n); $("unread").textContent = ++unread; });
  await channel.join();
  for (const person of state.world.people.filter(p => p.id !== state.me)) {
    $("nudge-to").append(el("option", {value: person.id}, person.name));
  }
  $("nudge").onsubmit = async (e) => {
    e.preventDefault();
    const answer = await act("/demo/notify", {to: $("nudge-to").value, message: $("nudge-text").value});
    $("nudge-result").textContent = answer.error ? "not sent — " + answer.error : "sent";
  };
}

async function joinPlans() {
  await Promise.all(state.world.plans.map(async (plan) => {
    const status = el("span", {id: "plan-status-" + plan.id}, "…");
    const here = el("span", {id: "plan-here-" + plan.id}, "");
    const votes = {};
    const tally = el("span", {id: "plan-votes-" + plan.id});
    const box = el("div", {class: "plan"}, el("strong", {}, plan.title), " — ", status, el("br"), "Here now: ", here,
                   el("br"), "Votes: ", tally);
    $("plans").append(box);
    const showVotes = () => {
      tally.textContent = planOptions.map(o => `${o} ${Object.values(votes).filter(v => v === o).length}`)
        .join(" · ");
    };
    const channel = state.socket.channel("plan:" + plan.id, {presence: {key: state.me, enabled: true}})
      .on("plan", (p) => { status.textContent = p.status; flash(status); })
      .on("presence", (presence) => {
        here.textContent = Object.values(presence).map(metas => metas[0].name).sort().join(", ");
      })
      .on("vote", (v) => { votes[v.user] = v.option; showVotes(); flash(tally); });
    const reply = await channel.join();
    if (reply.status !== "ok") {
      status.textContent = "";
      box.append(el("p", {class: "refused"}, "not a participant — " + reply.response.reason));
      return;
    }
    showVotes();
    await channel.track({name: state.name});
    box.append(el("div", {}, ...planOptions.map(option => el("button", {class: "small", id: `vote-${slug(option)}`,
      onclick: () => channel.broadcast("vote", {user: state.me, option})}, "vote " + option)), " ",
      ...[["confirmed", "confirm"], ["cancelled", "cancel"]].map(([next, label]) => el("button",
        {class: "small", id: `plan-${next}`, onclick: () => act("/demo/plan", {plan_id: plan.id, status: next})},
        label))));
  }));
}

async function start() {
  const as = new URLSearchParams(location.search).get("as");
  state.world = await (await fetch("/demo/world" + (as ? "?as=" + encodeURIComponent(as) : ""))).json();
  const person = state.world.people.find(p => p.id === state.world.viewer);
  renderPicker(person && person.name);
  if (!person) return;
  const {token, user_id, name} = await (await fetch("/demo/token?as=" + person.id)).json();
  Object.assign(state, {me: user_id, name, token});
  document.title = `${name} — Rally demo`;
  $("status").textContent = `connecting as ${name}…`;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  state.socket = new RallySocket(`${scheme}://${location.host}/realtime/v1/websocket?apikey=${token}&vsn=1.0.0`, token);
  state.socket.onclose = (e) => { $("status").textContent = `disconnected (${e.code}) — reload to reconnect`; };
  await state.socket.connect();
  $("panels").hidden = false;
  await joinFeed();
  await Promise.all([joinRules(), joinEvents(), joinGroups(), joinNotifications(), joinPlans()]);
  $("status").textContent = `joined as ${name}`;
}

start().catch(err => { $("status").textContent = "error: " + err; });
