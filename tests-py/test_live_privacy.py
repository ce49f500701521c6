"""Privacy inside a shared group, with the official client on a real PostgreSQL (docs/privacy.md): a member cannot
forge Rally's own event names, blocked members never see each other's typing, and an account switch on a socket
(`set_auth` with another user's token) closes the channel joined as the previous user."""

import pytest
from conftest import make_token
from helpers import frame_log, reply_to_broadcast, run
from live_helpers import LiveClient, close_all, live_params


@pytest.fixture
def shared_group(rows):
    """A blocker, the person they blocked and a third member, all in one group."""
    blocker, blocked, other = rows.user(name="blocker"), rows.user(name="blocked"), rows.user(name="other")
    rows.friendship(blocker, blocked, "blocked")
    return blocker, blocked, other, f"group:{rows.group(other, [blocker, blocked, other])}"


def test_forged_server_events_are_refused_and_typing_never_crosses_a_block(live_rally, shared_group):
    blocker_id, blocked_id, other_id, topic = shared_group

    async def body():
        blocker, blocked, other = (LiveClient(live_rally, person, name) for person, name in
                                   ((blocker_id, "blocker"), (blocked_id, "blocked"), (other_id, "other")))
        try:
            inboxes = {client.name: await client.join(topic, live_params(ack=True))
                       for client in (blocker, blocked, other)}
            status, response = await reply_to_broadcast(blocked.channels[topic], "message_deleted", {"id": "1"})
            assert (status, response.get("reason")) == ("error", "ReservedEvent: message_deleted is sent only by "
                                                                  "the server")
            await blocked.channels[topic].send_broadcast("typing", {"who": "blocked"})
            await inboxes["other"].wait_for(lambda m: m["payload"].get("who") == "blocked", "the blocked one typing")
            await other.channels[topic].send_broadcast("typing", {"who": "other"})
            await inboxes["blocker"].wait_for(lambda m: m["payload"].get("who") == "other", "the marker")
            assert [m["payload"].get("who") for m in inboxes["blocker"].items] == ["other"]
            assert not inboxes["other"].matching(lambda m: m["event"] == "message_deleted")
        finally:
            await close_all(blocker, blocked, other)

    run(body())


def test_switching_to_another_users_token_closes_the_channel(live_rally, shared_group):
    blocker_id, _, other_id, topic = shared_group

    async def body():
        with frame_log() as frames:
            device = LiveClient(live_rally, other_id, "device")
            try:
                await device.join(topic, live_params())
                await device.client.set_auth(make_token(sub=blocker_id))
                system = await frames.wait_for(lambda f: f.get("event") == "system"
                                               and f.get("topic") == f"realtime:{topic}", "system frame")
                assert system["payload"]["message"].startswith("IdentityChanged:")
                assert system["payload"]["status"] == "error"
                await frames.wait_for(lambda f: f.get("event") == "phx_close"
                                      and f.get("topic") == f"realtime:{topic}", "phx_close frame")
            finally:
                await device.close()

    run(body())
