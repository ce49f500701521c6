"""`user:<id>` notifications and `plan:<id>` status on a real PostgreSQL (docs/live-data.md)."""

from helpers import run
from live_helpers import LiveClient, named, off_loop


def test_unread_notifications_on_join_then_each_new_one(live_rally, rows):
    bob = rows.user(name="bob")
    earlier = rows.notification(bob, "Carol", type_="friend_request", message="wants to be friends",
                                data={"from": "carol"})

    async def body():
        client = LiveClient(live_rally, bob, "bob")
        try:
            inbox = await client.join(f"user:{bob}")
            backlog = await inbox.wait_for(named("notifications"), "unread notifications after the join")
            assert backlog["payload"]["count"] == 1
            [unread] = backlog["payload"]["unread"]
            assert unread["id"] == earlier and unread["type"] == "friend_request"
            assert unread["title"] == "Carol" and unread["message"] == "wants to be friends"
            assert unread["data"] == {"from": "carol"} and unread["is_read"] is False

            fresh = await off_loop(rows.notification, bob, "Jazz lovers", "group_invite", "join us")
            live = await inbox.wait_for(named("notification"), "the new notification")
            assert live["payload"]["id"] == fresh
            assert live["payload"]["type"] == "group_invite" and live["payload"]["title"] == "Jazz lovers"
            assert live["payload"]["message"] == "join us" and live["payload"]["is_read"] is False
        finally:
            await client.close()

    run(body())


def test_plan_status_on_join_then_on_change(live_rally, rows):
    organizer = rows.user(name="organizer")
    plan = rows.plan(organizer, "Friday dinner", "planning")

    async def body():
        client = LiveClient(live_rally, organizer, "organizer")
        try:
            inbox = await client.join(f"plan:{plan}")
            first = await inbox.wait_for(named("plan"), "plan status after the join")
            assert first["payload"]["plan_id"] == plan and first["payload"]["status"] == "planning"
            assert first["payload"]["title"] == "Friday dinner" and first["payload"]["organizer_id"] == organizer
            assert first["payload"]["live"] is True
            await off_loop(rows.connection.execute, "UPDATE plans SET status = 'confirmed' WHERE id = %s", (plan,))
            confirmed = await inbox.wait_for(named("plan", status="confirmed"), "plan status after the change")
            assert confirmed["payload"]["plan_id"] == plan and confirmed["payload"]["live"] is True
        finally:
            await client.close()

    run(body())
