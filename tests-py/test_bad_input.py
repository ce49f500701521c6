"""Bad input on a raw vsn 1.0.0 socket: each gets its documented answer (ANCHORS §3.2–3.3) and the socket (or,
after a close, the server) still answers a heartbeat."""

import asyncio

import pytest
from conftest import make_token
from helpers import RawSocket, run, unique_topic
from websockets.exceptions import ConnectionClosed

MAX_MESSAGE_BYTES = 65_536
MESSAGE_BURST = 5


@pytest.fixture(scope="module")
def rally_env():
    return {"RALLY_MAX_MESSAGE_BYTES": str(MAX_MESSAGE_BYTES), "RALLY_MESSAGE_BURST": str(MESSAGE_BURST),
            "RALLY_MESSAGES_PER_SECOND": "1"}


async def open_socket(rally) -> RawSocket:
    return await RawSocket.open(rally, make_token())


DROPPED_FRAMES = {
    "malformed-json": '{"topic": "phoenix", "event": "heartbeat", ',
    "not-json-at-all": "hello there",
    "array": '["1", "1", "phoenix", "heartbeat", {}]',
    "number": "42",
    "string": '"heartbeat"',
    "null": "null",
    "missing-ref": '{"topic": "phoenix", "event": "heartbeat", "payload": {}}',
    "missing-payload": '{"topic": "phoenix", "event": "heartbeat", "ref": "m1"}',
}


@pytest.mark.parametrize("case", sorted(DROPPED_FRAMES))
def test_unreadable_frame_is_dropped_and_socket_answers(rally, case):
    async def body():
        socket = await open_socket(rally)
        try:
            await socket.send(DROPPED_FRAMES[case])
            assert await socket.heartbeat("after-bad-frame") == [], "the dropped frame got an answer"
        finally:
            await socket.close()

    run(body())


def test_unknown_event_on_joined_topic_gets_no_reply(rally):
    async def body():
        socket = await open_socket(rally)
        topic = f"realtime:{unique_topic('unknown')}"
        try:
            await socket.join(topic, ref="j1")
            await socket.send({"topic": topic, "event": "no_such_event", "payload": {"x": 1}, "ref": "u1",
                               "join_ref": "j1"})
            assert await socket.heartbeat("after-unknown") == []
        finally:
            await socket.close()

    run(body())


@pytest.mark.parametrize("topic,event", [
    ("realtime:never-joined", "broadcast"),
    ("realtime:never-joined", "presence"),
    ("not-realtime:room", "phx_join"),
])
def test_unjoined_topic_gets_unmatched_topic_error(rally, topic, event):
    async def body():
        socket = await open_socket(rally)
        try:
            payload = {"type": "broadcast", "event": "x", "payload": {}} if event == "broadcast" else {}
            await socket.send({"topic": topic, "event": event, "payload": payload, "ref": "r1", "join_ref": "r1"})
            reply, before = await socket.reply_to("r1", topic)
            assert before == []
            assert reply == {"topic": topic, "event": "phx_reply", "ref": "r1",
                             "payload": {"status": "error", "response": {"reason": "unmatched topic"}}}
            assert await socket.heartbeat("after-unmatched") == []
        finally:
            await socket.close()

    run(body())


def test_leave_of_unjoined_topic_is_answered_ok(rally):
    async def body():
        socket = await open_socket(rally)
        topic = f"realtime:{unique_topic('never')}"
        try:
            await socket.send({"topic": topic, "event": "phx_leave", "payload": {}, "ref": "l1"})
            reply, before = await socket.reply_to("l1", topic)
            assert before == []
            assert reply["payload"] == {"status": "ok", "response": {}}
            assert await socket.heartbeat("after-leave") == []
        finally:
            await socket.close()

    run(body())


def padded_heartbeat(ref: str, size: int) -> str:
    """A valid heartbeat frame of exactly `size` bytes (JSON whitespace as padding)."""
    frame = '{"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "%s"}' % ref
    return frame[:-1] + " " * (size - len(frame)) + "}"


def test_message_under_the_size_limit_is_answered(rally):
    async def body():
        socket = await open_socket(rally)
        try:
            await socket.send(padded_heartbeat("big-ok", MAX_MESSAGE_BYTES - 16))
            reply, _ = await socket.reply_to("big-ok", "phoenix")
            assert reply["payload"] == {"status": "ok", "response": {}}
        finally:
            await socket.close()

    run(body())


def test_oversized_message_closes_with_1009(rally):
    async def body():
        socket = await open_socket(rally)
        try:
            await socket.send(padded_heartbeat("too-big", MAX_MESSAGE_BYTES + 4096))
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    frame = await socket.next_frame()
                    assert frame.get("ref") != "too-big", f"oversized message was answered: {frame}"
            assert closed.value.rcvd is not None, "socket dropped without a close frame"
            assert closed.value.rcvd.code == 1009
            await asyncio.wait_for(socket.ws.wait_closed(), 10)
            assert socket.ws.close_code == 1009
        finally:
            await socket.close()
        fresh = await open_socket(rally)
        try:
            assert await fresh.heartbeat("server-still-up") == []
        finally:
            await fresh.close()

    run(body())


def test_flood_past_the_rate_limit_gets_rate_limited_errors(rally):
    async def body():
        socket = await open_socket(rally)
        topic = f"realtime:{unique_topic('flood')}"
        refs = [f"f{i}" for i in range(4 * MESSAGE_BURST)]
        try:
            await socket.join(topic, ref="j1")
            for ref in refs:
                await socket.send({"topic": topic, "event": "broadcast", "ref": ref, "join_ref": "j1",
                                   "payload": {"type": "broadcast", "event": "flood", "payload": {"ref": ref}}})
            before = await socket.heartbeat("after-flood")
            replies = [f for f in before if f.get("event") == "phx_reply"]
            limited = [r["ref"] for r in replies if r["payload"]["status"] == "error"
                       and r["payload"]["response"].get("reason", "").startswith("RateLimited: ")]
            assert limited, f"no RateLimited reply to {len(refs)} messages; replies: {replies}"
            assert [r["ref"] for r in replies] == limited, f"unexpected replies: {replies}"
            assert not set(limited) & set(refs[:MESSAGE_BURST]), f"burst messages refused: {limited}"
            assert await socket.heartbeat("still-up") == []
        finally:
            await socket.close()

    run(body())
