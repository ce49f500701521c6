"""Token refresh with `set_auth`, and channels closed when their token expires (ANCHORS §3.3 "access_token",
§3.4 channel-level errors)."""

import json
import time
import uuid

from conftest import make_token
from helpers import Inbox, client_for, frame_log, listen_broadcasts, run, subscribe, unique_topic
from realtime.types import RealtimeSubscribeStates as States


async def subscribed_with_inbox(client, topic: str, name: str):
    inbox = Inbox(f"broadcasts received by {name}")
    channel, states = await subscribe(client, topic, None, lambda ch: listen_broadcasts(ch, inbox))
    return channel, states, inbox


def is_state(state):
    return lambda item: item[0] == state


def test_set_auth_keeps_channels_working(rally):
    async def body():
        topic = unique_topic("refresh")
        user_a = str(uuid.uuid4())
        a, b = client_for(rally, make_token(sub=user_a)), client_for(rally, make_token())
        try:
            a_channel, a_states, inbox_a = await subscribed_with_inbox(a, topic, "A")
            b_channel, _, inbox_b = await subscribed_with_inbox(b, topic, "B")
            # A refresh is a new token for the same user (another user's token closes the channel: test_live_privacy)
            await a.set_auth(make_token(sub=user_a, expires_in=7200))
            await a_channel.send_broadcast("after-refresh", {"n": 1})
            await inbox_b.wait_for(lambda m: m["event"] == "after-refresh", "A's broadcast after set_auth")
            await b_channel.send_broadcast("reply", {"n": 2})
            await inbox_a.wait_for(lambda m: m["event"] == "reply", "B's broadcast at A after set_auth")
            assert a_channel.is_joined
            assert [state for state, _ in a_states.items] == [States.SUBSCRIBED]
        finally:
            await a.close()
            await b.close()

    run(body())


def test_refreshed_token_outlives_the_old_expiry(rally):
    async def body():
        topic = unique_topic("outlive")
        short_exp = int(time.time()) + 2
        user_a = str(uuid.uuid4())
        a = client_for(rally, make_token(sub=user_a, exp=short_exp))
        # C's token expires one second after A's old one: when C is closed, A's old expiry is well past.
        c = client_for(rally, make_token(exp=short_exp + 1))
        b = client_for(rally, make_token())
        try:
            a_channel, a_states, inbox_a = await subscribed_with_inbox(a, topic, "A")
            await a.set_auth(make_token(sub=user_a, expires_in=3600))
            b_channel, _, _ = await subscribed_with_inbox(b, topic, "B")
            _, c_states, _ = await subscribed_with_inbox(c, topic, "C")
            await c_states.wait_for(is_state(States.CLOSED), "C closed by its token expiry")
            await b_channel.send_broadcast("still-there", {})
            await inbox_a.wait_for(lambda m: m["event"] == "still-there", "broadcast at A after its old expiry")
            assert a_channel.is_joined
            assert [state for state, _ in a_states.items] == [States.SUBSCRIBED]
        finally:
            for client in (a, b, c):
                await client.close()

    run(body())


def test_expired_token_closes_the_channel_but_not_the_socket(rally):
    async def body():
        with frame_log() as frames:
            subtopic = unique_topic("expiring")
            client = client_for(rally, make_token(exp=int(time.time()) + 2))
            try:
                channel, states, _ = await subscribed_with_inbox(client, subtopic, "expiring client")
                _, error = await states.wait_for(is_state(States.CHANNEL_ERROR), "system error on token expiry")
                system = json.loads(str(error))
                assert system["extension"] == "system" and system["status"] == "error"
                assert system["channel"] == subtopic
                assert system["message"].startswith("Token has expired"), system
                await states.wait_for(is_state(States.CLOSED), "channel closed after the system error")
                frame = await frames.wait_for(lambda f: f.get("event") == "system", "system frame")
                assert frame["ref"] is None and frame["topic"] == f"realtime:{subtopic}"
                await frames.wait_for(lambda f: f.get("event") == "phx_close", "phx_close frame")

                assert client.is_connected
                await client.set_auth(make_token(expires_in=3600))
                other, _, _ = await subscribed_with_inbox(client, unique_topic("after-expiry"), "same socket")
                assert other.is_joined
            finally:
                await client.close()

    run(body())


def test_set_auth_with_a_forged_token_closes_the_channel(rally):
    async def body():
        client = client_for(rally, make_token())
        try:
            channel, states, _ = await subscribed_with_inbox(client, unique_topic("forged"), "client")
            await client.set_auth(make_token(secret="not-the-rally-secret-0123456789"))
            _, error = await states.wait_for(is_state(States.CHANNEL_ERROR), "system error for a forged token")
            system = json.loads(str(error))
            assert system["message"] == "Failed to validate JWT signature", system
            await states.wait_for(is_state(States.CLOSED), "channel closed after the forged token")
            assert client.is_connected
        finally:
            await client.close()

    run(body())
