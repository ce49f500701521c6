#!/usr/bin/env python3
"""A small stand-in for Rally, for exercising RallyClient and rally-loadtest before the server runs.

It speaks just enough of the Supabase Realtime protocol: vsn 1.0.0 objects and 2.0.0 arrays,
binary kind 3 in and kind 4 out, phx_join/phx_leave/heartbeat/broadcast (self, ack)/presence
track/access_token, and POST /api/broadcast on a second port. It checks nothing about tokens
except that apikey "refuse-me" gets the upgrade refused with 401, as Rally does for a bad JWT.
It is an independent implementation written from the protocol notes, so it also cross-checks
the client's encoders. Loopback only; not a performance reference (Python).

    python3 loadtest/peer/fake_rally.py --port 4010 --http-port 4011
"""
import argparse
import asyncio
import json
import logging
import signal
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

topics = {}  # topic -> {connection: Member}


class Member:
    def __init__(self, ws, version, join_ref, config):
        self.ws, self.version, self.join_ref = ws, version, join_ref
        broadcast = (config or {}).get("broadcast") or {}
        self.self_ = broadcast.get("self") in (True, "true")
        self.ack = broadcast.get("ack") in (True, "true")


def encode(version, join_ref, ref, topic, event, payload):
    if version == 1:
        return json.dumps({"topic": topic, "event": event, "payload": payload, "ref": ref})
    return json.dumps([join_ref, ref, topic, event, payload])


def kind4(topic, event, payload_bytes, json_encoding):
    t, e = topic.encode(), event.encode()
    return bytes([4, len(t), len(e), 0, 1 if json_encoding else 0]) + t + e + payload_bytes


def decode_kind3(data):
    join_len, ref_len, topic_len, event_len, meta_len, encoding = data[1:7]
    offset = 7
    fields = []
    for length in (join_len, ref_len, topic_len, event_len, meta_len):
        fields.append(data[offset:offset + length].decode())
        offset += length
    join_ref, ref, topic, event, _meta = fields
    return join_ref or None, ref or None, topic, event, encoding, data[offset:]


async def fan_out(sender, topic, event, payload_bytes, json_encoding, text_payload):
    for ws, member in list(topics.get(topic, {}).items()):
        if ws is sender and not member.self_:
            continue
        try:
            if member.version == 2 and (payload_bytes is not None):
                await ws.send(kind4(topic, event, payload_bytes, json_encoding))
            elif text_payload is not None:
                await ws.send(encode(member.version, None, None, topic, "broadcast", text_payload))
        except Exception:
            pass


async def handle_push(ws, version, join_ref, ref, topic, event, payload):
    reply = lambda response, status="ok": ws.send(
        encode(version, join_ref, ref, topic, "phx_reply", {"status": status, "response": response}))
    if topic == "phoenix" and event == "heartbeat":
        await reply({})
    elif event == "phx_join":
        if not topic.startswith("realtime:"):
            await reply({"reason": "unmatched topic"}, "error")
            return
        topics.setdefault(topic, {})[ws] = Member(ws, version, join_ref, payload.get("config"))
        await reply({"postgres_changes": []})
    elif event == "phx_leave":
        topics.get(topic, {}).pop(ws, None)
        await reply({})
        await ws.send(encode(version, join_ref, join_ref, topic, "phx_close", {}))
    elif event == "broadcast":
        member = topics.get(topic, {}).get(ws)
        if member and member.ack:
            await reply({})
        user = payload.get("payload")
        await fan_out(ws, topic, payload.get("event"), json.dumps(user).encode(), True, payload)
    elif event == "presence":
        await reply({})
        diff = {"joins": {"k": {"metas": [{"phx_ref": "r1", **(payload.get("payload") or {})}]}}, "leaves": {}}
        await ws.send(encode(version, None, None, topic, "presence_diff", diff))


async def connection(ws):
    query = parse_qs(urlsplit(ws.request.path).query)
    version = 2 if query.get("vsn", ["1.0.0"])[0].startswith("2.") else 1
    try:
        async for frame in ws:
            if isinstance(frame, bytes):
                if version != 2 or not frame or frame[0] != 3:
                    continue
                join_ref, ref, topic, event, encoding, body = decode_kind3(frame)
                member = topics.get(topic, {}).get(ws)
                if member and member.ack:
                    await ws.send(encode(2, join_ref, ref, topic, "phx_reply", {"status": "ok", "response": {}}))
                text = {"type": "broadcast", "event": event, "payload": json.loads(body)} if encoding == 1 else None
                await fan_out(ws, topic, event, body, encoding == 1, text)
                continue
            message = json.loads(frame)
            if version == 1:
                await handle_push(ws, 1, message.get("join_ref"), message["ref"], message["topic"],
                                  message["event"], message["payload"])
            else:
                await handle_push(ws, 2, *message[:5])
    finally:
        for members in topics.values():
            members.pop(ws, None)


def refuse_bad_keys(ws, request):
    query = parse_qs(urlsplit(request.path).query)
    if query.get("apikey", [""])[0] == "refuse-me":
        body = b'{"error":"The token provided is not a valid JWT"}'
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return Response(401, "Unauthorized", headers, body)
    return None


async def http_broadcast(reader, writer):
    """POST /api/broadcast with keep-alive: {"messages":[{topic,event,payload}]} → 202."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            length = next((int(l.split(":", 1)[1]) for l in lines if l.lower().startswith("content-length:")), 0)
            body = json.loads(await reader.readexactly(length)) if length else {}
            for message in body.get("messages", []):
                topic = "realtime:" + message["topic"]
                text = {"type": "broadcast", "event": message["event"], "payload": message["payload"]}
                await fan_out(None, topic, message["event"], None, True, text)
            writer.write(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=4010)
    parser.add_argument("--http-port", type=int, default=4011)
    args = parser.parse_args()
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    http = await asyncio.start_server(http_broadcast, "127.0.0.1", args.http_port)
    async with serve(connection, "127.0.0.1", args.port, process_request=refuse_bad_keys,
                     compression=None, ping_interval=None, max_queue=None):
        async with http:
            print(f"fake_rally listening on 127.0.0.1:{args.port} (HTTP {args.http_port})", flush=True)
            await stop


if __name__ == "__main__":
    logging.getLogger("websockets").setLevel(logging.CRITICAL)  # probes that connect and leave are fine
    asyncio.run(main())
