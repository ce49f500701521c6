#!/usr/bin/env python3
"""The REST publish of realtime-js from a browser page on another origin: the page (served here, on its own
port) sends the requests `channel.httpSend()` and the unjoined `channel.send()` send — same paths, headers and
bodies, so Chromium makes its CORS preflight — while a WebSocket in the page, joined to the room, receives.
A non-member's publish to a group is refused with the reason.

    python3 tests-browser/rest_publish_check.py http://127.0.0.1:4000/ <the node's RALLY_JWT_SECRET>

Drives headless Chromium through its DevTools protocol (Debian `chromium`; `websockets` from realtime-py's
dependencies). Exits non-zero with what the page saw when a check fails within its deadline.
"""
import asyncio, base64, hashlib, hmac, http.server, json, sys, threading, time, urllib.request

from chromium import Chromium

ALICE, BOB = "a11ce000-0000-4000-8000-000000000001", "b0b00000-0000-4000-8000-000000000002"
CAROL, ROOFTOP = "ca201000-0000-4000-8000-000000000003", "group:60000000-0000-4000-8000-000000000001"

# The page: what realtime-js's RealtimeChannel sends (httpSend: POST <endpoint>/<topic>/events/<event>; send()
# before joining: POST <endpoint> with {messages: [{topic, event, payload, private}]}), with apikey and
# Authorization: Bearer <the user's token>; a Phoenix v1 socket receives.
PAGE = """<!doctype html><meta charset="utf-8"><title>REST publish</title><pre id="out"></pre><script>
const cfg = JSON.parse(decodeURIComponent(location.hash.slice(1)))
const endpoint = cfg.http + 'realtime/v1/api/broadcast'
const headers = (token) => ({apikey: cfg.anon, Authorization: 'Bearer ' + token, 'Content-Type': 'application/json',
                             'x-client-info': 'realtime-js/2.0.0'})
async function post(url, token, body) {
  const response = await fetch(url, {method: 'POST', headers: headers(token), body: JSON.stringify(body)})
  const text = await response.text()
  return {status: response.status, body: text ? JSON.parse(text) : null}
}
window.received = []
window.run = async () => {
  const socket = new WebSocket(cfg.ws + 'realtime/v1/websocket?vsn=1.0.0&apikey=' + cfg.bob)
  await new Promise((ok, fail) => { socket.onopen = ok; socket.onerror = fail })
  const joined = new Promise((ok) => socket.onmessage = (m) => {
    const message = JSON.parse(m.data)
    if (message.event === 'phx_reply' && message.ref === '1') ok(message.payload.status)
    if (message.event === 'broadcast') window.received.push(message.payload)
  })
  socket.send(JSON.stringify({topic: 'realtime:' + cfg.room, event: 'phx_join', ref: '1', join_ref: '1',
                              payload: {config: {broadcast: {self: false, ack: false}, private: false}}}))
  const join = await joined
  const single = await post(endpoint + '/' + encodeURIComponent(cfg.room) + '/events/cursor', cfg.alice, {x: 1})
  const batch = await post(endpoint, cfg.alice,
                           {messages: [{topic: cfg.room, event: 'cursor', payload: {x: 2}, private: false}]})
  const refused = await post(endpoint + '/' + encodeURIComponent(cfg.group) + '/events/typing?private=true',
                             cfg.carol, {})
  return {join, single, batch, refused}
}
</script>"""


def token(secret, claims):
    encode = lambda value: base64.urlsafe_b64encode(value).rstrip(b"=").decode()
    head = encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = encode(json.dumps({"exp": int(time.time()) + 600, **claims}).encode())
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{encode(signature)}"


def serve_page():
    """The page on its own loopback port: another origin than the node's."""
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(PAGE.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def check(node_url, secret):
    page = serve_page()
    try:
        async with Chromium("rest publish") as browser:
            config = {"http": node_url, "ws": node_url.replace("http", "ws", 1), "room": f"cors-{time.time_ns()}",
                      "group": ROOFTOP, "anon": token(secret, {"role": "anon"})}
            for name, user in (("alice", ALICE), ("bob", BOB), ("carol", CAROL)):
                config[name] = token(secret, {"role": "authenticated", "sub": user})
            page_url = f"http://127.0.0.1:{page.server_address[1]}/#" + urllib.request.quote(json.dumps(config))
            tab = await browser.open_tab("about:blank")
            await tab.call("Page.navigate", url=page_url)
            for _ in range(100):
                if await tab.eval("typeof window.run === 'function'"):
                    break
                await asyncio.sleep(0.1)  # the page is loading; bounded by the attempts
            result = await tab.eval("window.run()")
            print(f"rest publish: {json.dumps(result)}")
            expect(result and result["join"] == "ok", "the page's socket joins", result)
            # A cross-origin fetch with these headers is preflighted, and its answer is readable only with
            # Access-Control-Allow-Origin: a status seen here means both were answered.
            origin = f"http://127.0.0.1:{page.server_address[1]}"
            expect(not node_url.startswith(origin), "the page is on another origin than the node", origin)
            for form in ("single", "batch"):
                expect(result[form]["status"] == 202, f"{form} publish accepted", result)
            refused = result["refused"]
            expect(refused["status"] == 403 and refused["body"]["message"].startswith("Unauthorized"),
                   "a non-member is refused with the reason", result)
            for _ in range(100):
                received = await tab.eval("JSON.stringify(window.received)")
                if all(f'"x":{n}' in received for n in (1, 2)):
                    break
                await asyncio.sleep(0.1)  # deliveries in flight; bounded by the attempts
            expect(all(f'"x":{n}' in received for n in (1, 2)), "both publishes delivered to the socket", received)
        print(f"rest publish: a page on {origin} published with the requests of realtime-js (preflighted) and "
              f"its socket received them")
    finally:
        page.shutdown()


def expect(condition, what, seen):
    if not condition:
        sys.exit(f"rest publish: {what} failed; the page saw {seen}")


if __name__ == "__main__":
    asyncio.run(check(sys.argv[1], sys.argv[2]))
