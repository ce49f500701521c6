"""Friend activity on a real PostgreSQL (docs/live-data.md, docs/privacy.md): an RSVP reaches the feeds of the
actor's friends only, and the subscribers of the actor's profile each get the subset their relationship allows.
Non-delivery is shown on the same socket: a later item that does arrive proves the earlier one was not sent."""

from helpers import run
from live_helpers import LiveClient, close_all, off_loop


def activity(inbox) -> list[dict]:
    return [message["payload"] for message in inbox.items if message["event"] == "activity"]


def item_id(actor: str, event: str, verb: str) -> str:
    return f"{actor}:{event}:{verb}"


def is_item(actor: str, event: str, verb: str):
    return lambda m: m["event"] == "activity" and m["payload"]["id"] == item_id(actor, event, verb)


def test_an_rsvp_reaches_friends_feeds_only(live_rally, rows):
    alice = rows.user("public", "alice")            # the actor
    bob = rows.user("public", "bob")                # alice's friend
    carol = rows.user("public", "carol")            # a stranger to alice
    dave = rows.user("public", "dave")              # carol's friend, for a barrier on carol's feed
    frank = rows.user("friends_only", "frank")      # bob's friend, friends_only
    rows.friendship(alice, bob)
    rows.friendship(carol, dave)
    rows.friendship(bob, frank)
    jazz, picnic, quiz, gallery = (rows.event(title) for title in ("Jazz", "Picnic", "Quiz", "Gallery"))

    async def body():
        b, c = LiveClient(live_rally, bob, "bob"), LiveClient(live_rally, carol, "carol")
        try:
            feed_b = await b.join(f"feed:{bob}")
            feed_c = await c.join(f"feed:{carol}")
            await off_loop(rows.rsvp, alice, jazz, "going", "friends")
            item = await feed_b.wait_for(is_item(alice, jazz, "going"), "alice's friends-visible RSVP on bob's feed")
            assert item["payload"]["actor_id"] == alice and item["payload"]["verb"] == "going"
            assert item["payload"]["visibility"] == "friends"
            assert item["payload"]["event"]["event_id"] == jazz and item["payload"]["event"]["title"] == "Jazz"

            await off_loop(rows.rsvp, alice, picnic, "maybe", "private")    # reaches nobody but alice
            await off_loop(rows.rsvp, frank, quiz, "interested", "public")  # friends_only actor, public item
            await off_loop(rows.rsvp, dave, gallery, "going", "public")     # carol's friend
            await feed_b.wait_for(is_item(frank, quiz, "interested"), "frank's RSVP on bob's feed")
            await feed_c.wait_for(is_item(dave, gallery, "going"), "dave's RSVP on carol's feed")
            assert [i["id"] for i in activity(feed_b)] == [item_id(alice, jazz, "going"),
                                                           item_id(frank, quiz, "interested")]
            assert [i["id"] for i in activity(feed_c)] == [item_id(dave, gallery, "going")]
        finally:
            await close_all(b, c)

    run(body())


def test_profile_subscribers_get_the_subset_their_relationship_allows(live_rally, rows):
    alice = rows.user("public", "alice")    # the profile's owner and actor
    bob = rows.user("public", "bob")        # alice's friend
    carol = rows.user("public", "carol")    # a stranger to alice
    rows.friendship(bob, alice)             # accepted, initiated by bob: friends in either direction
    dinner, concert = rows.event("Dinner"), rows.event("Concert")

    async def body():
        b, c = LiveClient(live_rally, bob, "bob"), LiveClient(live_rally, carol, "carol")
        try:
            profile_b = await b.join(f"profile:{alice}")
            profile_c = await c.join(f"profile:{alice}")
            await off_loop(rows.rsvp, alice, dinner, "going", "friends")
            await off_loop(rows.rsvp, alice, concert, "interested", "public")
            for inbox in (profile_b, profile_c):
                await inbox.wait_for(is_item(alice, concert, "interested"), "alice's public RSVP")
            assert [i["id"] for i in activity(profile_b)] == [item_id(alice, dinner, "going"),
                                                              item_id(alice, concert, "interested")]
            assert [i["id"] for i in activity(profile_c)] == [item_id(alice, concert, "interested")]
            assert [i["visibility"] for i in activity(profile_b)] == ["friends", "public"]
        finally:
            await close_all(b, c)

    run(body())
