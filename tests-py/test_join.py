"""Join edge cases on a raw vsn 1.0.0 socket (ANCHORS §3.2 "Refs", §3.3 "phx_join", duplicate joins)."""

import pytest
from conftest import make_token
from helpers import RawSocket, run, unique_topic

MAX_CHANNELS = 3


@pytest.fixture(scope="module")
def rally_env():
    return {"RALLY_MAX_CHANNELS": str(MAX_CHANNELS)}


def join_frame(topic: str, ref: str, access_token: str | None = None, ack: bool = False) -> dict:
    payload = {"config": {"broadcast": {"ack": ack, "self": True}, "presence": {"key": "", "enabled": False},
                          "private": False}}
    if access_token:
        payload["access_token"] = access_token
    return {"topic": topic, "event": "phx_join", "payload": payload, "ref": ref, "join_ref": ref}


def broadcast_frame(topic: str, ref: str, join_ref: str | None, event: str) -> dict:
    frame = {"topic": topic, "event": "broadcast", "ref": ref,
             "payload": {"type": "broadcast", "event": event, "payload": {"ref": ref}}}
    if join_ref is not None:
        frame["join_ref"] = join_ref
    return frame


async def refused_join(socket: RawSocket, frame: dict) -> str:
    await socket.send(frame)
    reply, before = await socket.reply_to(frame["ref"], frame["topic"])
    assert before == [] and reply["payload"]["status"] == "error", reply
    return reply["payload"]["response"]["reason"]


def with_socket(rally, test):
    async def body():
        socket = await RawSocket.open(rally, make_token())
        try:
            await test(socket)
            assert await socket.heartbeat("socket-still-up") == []
        finally:
            await socket.close()

    run(body())


def test_bare_topic_needs_a_name(rally):
    async def test(socket):
        reason = await refused_join(socket, join_frame("realtime:", "1"))
        assert reason == "TopicNameRequired: You must provide a topic name"

    with_socket(rally, test)


def test_join_with_expired_access_token_is_refused(rally):
    async def test(socket):
        frame = join_frame(f"realtime:{unique_topic('exp')}", "1", access_token=make_token(expires_in=-30))
        reason = await refused_join(socket, frame)
        assert reason.startswith("InvalidJWTToken: Token has expired "), reason

    with_socket(rally, test)


def test_join_with_forged_access_token_is_refused(rally):
    async def test(socket):
        forged = make_token(secret="not-the-rally-secret-0123456789")
        reason = await refused_join(socket, join_frame(f"realtime:{unique_topic('forged')}", "1", forged))
        assert reason == "JwtSignatureError: Failed to validate JWT signature"

    with_socket(rally, test)


def test_channels_per_socket_are_limited(rally):
    async def test(socket):
        for index in range(MAX_CHANNELS):
            await socket.join(f"realtime:{unique_topic('many')}", ref=f"j{index}")
        reason = await refused_join(socket, join_frame(f"realtime:{unique_topic('one-too-many')}", "over"))
        assert reason == "ChannelRateLimitReached: Too many channels"

    with_socket(rally, test)


def test_duplicate_join_closes_the_old_join(rally):
    async def test(socket):
        topic = f"realtime:{unique_topic('dup')}"
        await socket.join(topic, ref="first")
        await socket.send(join_frame(topic, "second"))
        reply, before = await socket.reply_to("second", topic)
        assert before == [{"topic": topic, "event": "phx_close", "payload": {}, "ref": "first"}]
        assert reply["payload"]["status"] == "ok"

    with_socket(rally, test)


def test_join_ref_routing(rally):
    """A stale join_ref is ignored; a message without join_ref is accepted (Supabase's Phoenix fork)."""

    async def test(socket):
        topic = f"realtime:{unique_topic('refs')}"
        await socket.send(join_frame(topic, "j1", ack=True))
        await socket.reply_to("j1", topic)
        await socket.send(broadcast_frame(topic, "stale", "not-j1", "stale"))
        await socket.send(broadcast_frame(topic, "bare", None, "bare"))
        seen: list[dict] = []

        def ack_and_echo_seen(frame: dict) -> bool:
            seen.append(frame)
            return {"phx_reply", "broadcast"} <= {f["event"] for f in seen}

        frames = await socket.frames_until(ack_and_echo_seen, "ack and echo of the message without join_ref")
        assert [f["payload"]["event"] for f in frames if f["event"] == "broadcast"] == ["bare"], frames
        replies = [f for f in frames if f["event"] == "phx_reply"]
        assert [(f["ref"], f["payload"]) for f in replies] == [("bare", {"status": "ok", "response": {}})], frames

    with_socket(rally, test)
