"""SIGTERM drains: connected sockets are closed with 1012 Service Restart (ANCHORS §3.5, SPEC §5), and the
node exits in bounded time. Uses its own node, since it stops it."""

import asyncio
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
