"""The REST publish path of realtime-js (`channel.httpSend()` and `send()` before a channel is joined), sent as
plain HTTP exactly as realtime-js sends it, while realtime-py clients receive: `/realtime/v1/api/broadcast…`,
`apikey` plus `Authorization: Bearer <user token>`, the CORS preflight of a browser page on another origin.
A user's publish follows the rules of that user's broadcast on a joined socket (demo directory: Alice and Bob
are the Rooftop crew, Carol is not)."""

import json
import urllib.error
import urllib.parse
import urllib.request

from conftest import make_token
from helpers import run, unique_topic
from live_helpers import LiveClient, close_all, live_params, off_loop

ALICE = "a11ce000-0000-4000-8000-000000000001"
BOB = "b0b00000-0000-4000-8000-000000000002"
CAROL = "ca201000-0000-4000-8000-000000000003"
ROOFTOP = "group:60000000-0000-4000-8000-000000000001"
ORIGIN = "http://127.0.0.1:5173"


def realtime_js_headers(token: str, content_type: str = "application/json") -> dict:
    return {"apikey": token, "Authorization": f"Bearer {token}", "Content-Type": content_type,
            "x-client-info": "realtime-js/2.0.0", "Origin": ORIGIN}


def request(node, path: str, *, method: str = "POST", headers: dict, body: bytes | None = None):
    """(status, headers, parsed body or None) of one plain HTTP request; never raises on an HTTP error."""
    req = urllib.request.Request(f"{node.http_url}{path}", data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            status, got, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, got, raw = error.code, error.headers, error.read()
    return status, got, (json.loads(raw) if raw else None)


def http_send(node, user: str, topic: str, event: str, payload: dict, private: bool = False):
    """`channel.httpSend(event, payload)`."""
    path = (f"/realtime/v1/api/broadcast/{urllib.parse.quote(topic, safe='')}/events/"
            f"{urllib.parse.quote(event, safe='')}" + ("?private=true" if private else ""))
    return request(node, path, headers=realtime_js_headers(make_token(sub=user)), body=json.dumps(payload).encode())


def unjoined_send(node, user: str, topic: str, event: str, payload: dict, private: bool = False):
    """`channel.send({type: 'broadcast', event, payload})` before the channel is joined."""
    body = {"messages": [{"topic": topic, "event": event, "payload": payload, "private": private}]}
    return request(node, "/realtime/v1/api/broadcast", headers=realtime_js_headers(make_token(sub=user)),
                   body=json.dumps(body).encode())


def test_http_send_and_unjoined_send_reach_a_realtime_py_subscriber(rally):
    async def body():
        room = unique_topic("rest")
        bob = LiveClient(rally, BOB, "Bob")
        inbox = await bob.join(room, live_params())
        try:
            status, headers, _ = await off_loop(http_send, rally, ALICE, room, "cursor", {"x": 1})
            assert status == 202
            assert headers["Access-Control-Allow-Origin"] == "*"
            await inbox.wait_for(lambda m: m["event"] == "cursor" and m["payload"] == {"x": 1}, "httpSend")
            status, _, _ = await off_loop(unjoined_send, rally, ALICE, room, "cursor", {"x": 2})
            assert status == 202
            await inbox.wait_for(lambda m: m["event"] == "cursor" and m["payload"] == {"x": 2}, "send fallback")
        finally:
            await close_all(bob)

    run(body())


def test_a_group_takes_rest_writes_from_its_members_only(rally):
    async def body():
        bob = LiveClient(rally, BOB, "Bob")
        inbox = await bob.join(ROOFTOP, live_params())
        try:
            status, _, answer = await off_loop(unjoined_send, rally, CAROL, ROOFTOP, "typing", {"who": "carol"}, True)
            assert status == 403, answer
            assert answer["message"].startswith("Unauthorized"), answer
            status, _, answer = await off_loop(http_send, rally, ALICE, ROOFTOP, "message_deleted", {"id": "1"})
            assert status == 403 and answer["message"].startswith("ReservedEvent"), answer
            status, _, _ = await off_loop(http_send, rally, ALICE, ROOFTOP, "message", {"body": "via rest"}, True)
            assert status == 202
            stored = await inbox.wait_for(lambda m: m["event"] == "message", "the chat message")
            assert stored["payload"]["body"] == "via rest" and stored["meta"]["id"], stored
            assert not [m for m in inbox.items if m["event"] in ("typing", "message_deleted")]
        finally:
            await close_all(bob)

    run(body())


def test_a_browser_preflight_is_answered(rally):
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "apikey,authorization,content-type,x-client-info"}
    status, got, _ = request(rally, "/realtime/v1/api/broadcast/room/events/x", method="OPTIONS", headers=headers)
    assert status == 204
    assert got["Access-Control-Allow-Origin"] == "*"
    assert got["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert got["Access-Control-Allow-Headers"] == "apikey, authorization, content-type, x-client-info"
    assert got["Access-Control-Max-Age"] == "7200"
