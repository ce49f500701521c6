"""SIGTERM drains: connected sockets are closed with 1012 Service Restart (ANCHORS §3.5, SPEC §5), and the
node exits in bounded time. Uses its own node, since it stops it."""

import asyncio
import json
import os
import signal

import pytest
from conftest import RallyNode, make_token
from helpers import RawSocket, run, unique_topic
from websockets.exceptions import ConnectionClosed


@pytest.fixture
def own_node(tmp_path):
    node = RallyNode.start({}, tmp_path)
    yield node
    if node.process.poll() is None:
        node.terminate()


async def wait_for_close_code(socket: RawSocket) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await socket.next_frame(timeout=15)
    await asyncio.wait_for(socket.ws.wait_closed(), 5)
    received = closed.value.rcvd
    return received.code if received else None


def test_sigterm_closes_sockets_with_1012_and_exits(own_node):
    async def body():
        joined = await RawSocket.open(own_node, make_token())
        idle = await RawSocket.open(own_node, make_token())
        await joined.join(f"realtime:{unique_topic('drain')}", ref="j1")
        assert await idle.heartbeat("before-drain") == []

        own_node.process.send_signal(signal.SIGTERM)
        codes = await asyncio.gather(wait_for_close_code(joined), wait_for_close_code(idle))
        assert codes == [1012, 1012]
        assert joined.ws.close_code == 1012 and idle.ws.close_code == 1012

    run(body())
    assert own_node.terminate() == 0, own_node.stderr_tail()


async def open_silent_socket(port: int, token: str, topic: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A raw vsn 1.0.0 socket that joins `topic`, then never reads again (so never answers the close frame)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"GET /realtime/v1/websocket?apikey={token}&vsn=1.0.0 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101"), head
    payload = json.dumps({"topic": topic, "event": "phx_join", "payload": {"config": {}}, "ref": "1",
                          "join_ref": "1"}).encode()
    assert len(payload) < 65536
    length = bytes([0x80 | len(payload)]) if len(payload) < 126 else bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
    mask = os.urandom(4)
    writer.write(bytes([0x81]) + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    await writer.drain()
    return reader, writer


def test_drain_under_load_schedules_nothing_on_stopped_loops(tmp_path):
    """Sockets that never answer the close frame are still open when the drain has issued every close: the node
    waits for them (or cuts them) before it stops its loops, so nothing is scheduled on a loop that has shut down."""
    node = RallyNode.start({"RALLY_DRAIN_BATCH": "20", "RALLY_DRAIN_INTERVAL_MS": "10",
                            "RALLY_DRAIN_TIMEOUT_MS": "3000", "RALLY_MAX_CONNECTIONS_PER_IP": "100000",
                            "RALLY_JOINS_PER_SECOND": "1000"}, tmp_path)
    try:
        async def body():
            # Live topics of the embedded demo data (their feeds open and close with the channels) and free rooms.
            topics = ["realtime:event:e0000000-0000-4000-8000-000000000001",
                      "realtime:event:e0000000-0000-4000-8000-000000000003",
                      "realtime:group:60000000-0000-4000-8000-000000000002",
                      *(f"realtime:{unique_topic('load')}" for _ in range(5))]
            dave = "da7e0000-0000-4000-8000-000000000004"
            silent = [await open_silent_socket(node.port, make_token(sub=dave), topics[i % len(topics)])
                      for i in range(120)]
            polite = [await RawSocket.open(node, make_token(sub=dave)) for _ in range(40)]
            for index, socket in enumerate(polite):
                await socket.join(topics[index % len(topics)], ref="j")
            node.process.send_signal(signal.SIGTERM)
            codes = await asyncio.gather(*(wait_for_close_code(socket) for socket in polite))
            assert set(codes) == {1012}, codes
            exit_code = await asyncio.to_thread(node.terminate)  # the silent sockets are still open meanwhile
            for _, writer in silent:
                writer.close()
            return exit_code

        assert run(body()) == 0, node.stderr_tail()
        log = node.log_path.read_text(errors="replace") + "\n".join(node.stdout_lines())
        assert "Cannot schedule tasks" not in log, log[-4000:]
    finally:
        if node.process.poll() is None:
            node.process.kill()
