"""realtime-py's heartbeat (`"ref": null`, ANCHORS §3.3 "heartbeat") is answered and the socket stays up."""

import pytest
from conftest import make_token
from helpers import RawSocket, client_for, frame_log, run, subscribe, unique_topic
from realtime.message import Message, ServerMessageAdapter
from realtime.types import ChannelEvents

HEARTBEAT_REPLY = {"topic": "phoenix", "event": "phx_reply", "payload": {"status": "ok", "response": {}}, "ref": None}


def is_heartbeat_reply(frame: dict) -> bool:
    return frame.get("topic") == "phoenix" and frame.get("event") == "phx_reply"


def test_heartbeat_with_null_ref_is_answered_and_socket_stays_up(rally):
    async def body():
        with frame_log() as frames:
            client = client_for(rally, make_token())
            try:
                # connect() starts the client's heartbeat loop, which sends its first heartbeat at once.
                await client.connect()
                first = await frames.wait_for(is_heartbeat_reply, "reply to the client's first heartbeat")
                assert first == HEARTBEAT_REPLY
                ServerMessageAdapter.validate_python(first)  # realtime-py accepts it

                # Drive the client's heartbeat again, exactly as its loop builds it.
                await client.send(Message(topic="phoenix", event=ChannelEvents.heartbeat, payload={}, ref=None))
                await frames.wait_for(lambda f: len(frames.matching(is_heartbeat_reply)) >= 2,
                                      "reply to the second heartbeat")
                assert frames.matching(is_heartbeat_reply) == [HEARTBEAT_REPLY, HEARTBEAT_REPLY]

                assert client.is_connected
                channel, _ = await subscribe(client, unique_topic("after-hb"))
                assert channel.is_joined
            finally:
                await client.close()

    run(body())


def test_heartbeat_with_string_ref_echoes_the_ref(rally):
    async def body():
        with frame_log() as frames:
            client = client_for(rally, make_token())
            try:
                await client.connect()
                await client.send(Message(topic="phoenix", event=ChannelEvents.heartbeat, payload={}, ref="hb-42"))
                reply = await frames.wait_for(lambda f: is_heartbeat_reply(f) and f["ref"] == "hb-42",
                                              "reply to heartbeat hb-42")
                assert reply == {**HEARTBEAT_REPLY, "ref": "hb-42"}
            finally:
                await client.close()

    run(body())


@pytest.mark.parametrize("ref", [None, 0, 7, "k6-ref"], ids=["null", "zero", "int", "string"])
def test_raw_heartbeat_echoes_any_scalar_ref(rally, ref):
    async def body():
        socket = await RawSocket.open(rally, make_token())
        try:
            assert await socket.heartbeat(ref) == []
        finally:
            await socket.close()

    run(body())
