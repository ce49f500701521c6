"""Live location sharing on `location:plan:<id>` with the official client on a real PostgreSQL
(docs/live-data.md, "Location sharing"): opt-in with share_start, rounded positions stamped with the sender, the
per-user rate limit's answer, a participant removed from the plan stops receiving within a second, and
share_stop tells the others."""

import time

import pytest
from helpers import frame_log, reply_to_broadcast, run
from live_helpers import LiveClient, close_all, live_params, named, off_loop


@pytest.fixture(scope="module")
def live_env():
    return {"RALLY_LOCATION_PRECISION_DIGITS": "3"}


def test_positions_reach_participants_until_they_leave_and_stop_is_announced(live_rally, rows):
    alice_id, bob_id, carol_id = rows.user(name="alice"), rows.user(name="bob"), rows.user(name="carol")
    plan = rows.plan(alice_id, "picnic")
    for person in (bob_id, carol_id):
        rows.connection.execute("INSERT INTO plan_participants (plan_id, user_id, status) "
                                "VALUES (%s, %s, 'accepted')", (plan, person))
    topic = f"location:plan:{plan}"

    async def body():
        alice, bob, carol = (LiveClient(live_rally, person, name) for person, name in
                             ((alice_id, "alice"), (bob_id, "bob"), (carol_id, "carol")))
        try:
            with frame_log() as frames:
                inboxes = {client.name: await client.join(topic, live_params()) for client in (alice, bob, carol)}
                sharing = alice.channels[topic]
                status, response = await reply_to_broadcast(sharing, "position", {"lat": 1, "lon": 2})
                assert status == "error" and response["reason"].startswith("LocationNotShared")

                status, _ = await reply_to_broadcast(sharing, "share_start", {"duration_s": 600})
                assert status == "ok"  # realtime-py keeps only postgres_changes of an ok reply's response
                status, _ = await reply_to_broadcast(sharing, "position", {"lat": 52.520608, "lon": 13.404954, "accuracy": 8})
                assert status == "ok"
                first = await inboxes["bob"].wait_for(named("location", user_id=alice_id), "alice's position")
                assert (first["payload"]["lat"], first["payload"]["lon"]) == (52.521, 13.405)
                assert first["payload"]["accuracy"] == 112, "never finer than the rounding"

                answers = [await reply_to_broadcast(sharing, "position", {"lat": 1, "lon": 1}) for _ in range(4)]
                refused = [response["reason"] for status, response in answers if status == "error"]
                assert refused and all(reason.startswith("RateLimited:") for reason in refused), answers

                await off_loop(rows.connection.execute,
                               "DELETE FROM plan_participants WHERE plan_id = %s AND user_id = %s", (plan, bob_id))
                removed = time.monotonic()
                await frames.wait_for(lambda f: f.get("event") == "phx_close" and f.get("topic") ==
                                      f"realtime:{topic}", "bob's channel closed (the only one that closes)")
                assert time.monotonic() - removed < 1.0, "delivery stops within a second of leaving the plan"

                received_by_bob = len(inboxes["bob"].matching(named("location")))
                status, _ = await reply_to_broadcast(sharing, "share_stop", {})
                assert status == "ok"
                stopped = await inboxes["carol"].wait_for(named("location_stopped", user_id=alice_id), "stop")
                assert stopped["payload"]["reason"] == "stopped"
                assert len(inboxes["bob"].matching(named("location"))) == received_by_bob
                assert not inboxes["bob"].matching(named("location_stopped"))
        finally:
            await close_all(alice, bob, carol)

    run(body())
