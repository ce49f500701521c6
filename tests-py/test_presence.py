"""Presence with realtime-py: track is seen as a join, untrack and disconnect as a leave (ANCHORS §3.3–3.4)."""

from conftest import make_token
from helpers import Inbox, channel_params, client_for, run, subscribe, unique_topic


async def watcher(rally, topic: str):
    """Client B, subscribed with presence callbacks; returns (client, channel, joins, leaves, syncs)."""
    client = client_for(rally, make_token())
    joins, leaves, syncs = Inbox("presence joins at B"), Inbox("presence leaves at B"), Inbox("presence syncs at B")

    def configure(channel):
        channel.on_presence_join(lambda key, current, new: joins.put((key, new)))
        channel.on_presence_leave(lambda key, current, left: leaves.put((key, left)))
        channel.on_presence_sync(lambda: syncs.put(dict(channel.presence_state())))

    channel, _ = await subscribe(client, topic, None, configure)
    await syncs.wait_for(what="initial presence_state (sync)")
    return client, channel, joins, leaves, syncs


async def tracker(rally, topic: str, key: str):
    """Client A, subscribed with presence key `key` and tracking {"status": "online"}."""
    client = client_for(rally, make_token())
    own_joins = Inbox("presence joins at A")

    def configure(channel):
        channel.on_presence_join(lambda k, current, new: own_joins.put((k, new)))

    channel, _ = await subscribe(client, topic, channel_params(presence_key=key, presence_enabled=True), configure)
    await channel.track({"status": "online", "name": key})
    return client, channel, own_joins


def is_key(key: str):
    return lambda item: item[0] == key


def test_track_is_seen_as_join_with_the_payload(rally):
    async def body():
        topic = unique_topic("presence")
        b, b_channel, joins, _, syncs = await watcher(rally, topic)
        a, _, own_joins = await tracker(rally, topic, "alice")
        try:
            _, new = await joins.wait_for(is_key("alice"), "join of alice at B")
            assert len(new) == 1
            assert new[0]["status"] == "online" and new[0]["name"] == "alice"
            assert isinstance(new[0]["presence_ref"], str) and new[0]["presence_ref"]
            await syncs.wait_for(lambda state: "alice" in state, "sync listing alice")
            assert [p["status"] for p in b_channel.presence_state()["alice"]] == ["online"]
            # Diffs reach the socket that tracked, too (Phoenix.Presence local_broadcast).
            await own_joins.wait_for(is_key("alice"), "A's own join")
        finally:
            await a.close()
            await b.close()

    run(body())


def test_untrack_is_seen_as_leave(rally):
    async def body():
        topic = unique_topic("presence")
        b, b_channel, joins, leaves, _ = await watcher(rally, topic)
        a, a_channel, _ = await tracker(rally, topic, "bob")
        try:
            await joins.wait_for(is_key("bob"), "join of bob at B")
            await a_channel.untrack()
            _, left = await leaves.wait_for(is_key("bob"), "leave of bob at B")
            assert [p["status"] for p in left] == ["online"]
            assert "bob" not in b_channel.presence_state()
        finally:
            await a.close()
            await b.close()

    run(body())


def test_disconnect_is_seen_as_leave(rally):
    async def body():
        topic = unique_topic("presence")
        b, b_channel, joins, leaves, _ = await watcher(rally, topic)
        a, _, _ = await tracker(rally, topic, "carol")
        try:
            await joins.wait_for(is_key("carol"), "join of carol at B")
            await a.close()
            _, left = await leaves.wait_for(is_key("carol"), "leave of carol at B after A disconnected")
            assert [p["name"] for p in left] == ["carol"]
            assert "carol" not in b_channel.presence_state()
        finally:
            await b.close()

    run(body())


def test_track_with_a_new_payload_is_an_update(rally):
    async def body():
        topic = unique_topic("presence")
        b, b_channel, joins, leaves, _ = await watcher(rally, topic)
        a, a_channel, _ = await tracker(rally, topic, "dave")
        try:
            await joins.wait_for(is_key("dave"), "join of dave at B")
            await a_channel.track({"status": "away", "name": "dave"})
            _, new = await joins.wait_for(lambda item: item[0] == "dave" and item[1][0]["status"] == "away",
                                          "join of dave's updated meta")
            _, left = await leaves.wait_for(is_key("dave"), "leave of dave's old meta")
            assert [p["status"] for p in left] == ["online"]
            assert [p["status"] for p in b_channel.presence_state()["dave"]] == ["away"]
        finally:
            await a.close()
            await b.close()

    run(body())
