"""`group:<id>` durable chat on a real PostgreSQL (docs/live-data.md): messages stored and fanned out with their
id, replay after a reconnect with no loss or duplicate, and a message too large for NOTIFY read back whole.
A message readable before its NOTIFY is handled reaches a replaying joiner once."""

import time

import pytest
from helpers import Inbox, frame_log, push_broadcast, run
from live_helpers import LiveClient, close_all, live_params, off_loop


@pytest.fixture(scope="module")
def live_env():
    """13 messages from one channel in a moment: above the default chat rate (5 a second, burst 10)."""
    return {"RALLY_CHAT_PER_SECOND": "1000", "RALLY_MESSAGES_PER_SECOND": "100000"}


def messages(inbox: Inbox) -> list[dict]:
    return [message for message in inbox.items if message["event"] == "message"]


def message_ids(inbox: Inbox) -> list[str]:
    return [message["meta"]["id"] for message in messages(inbox)]


async def send_message(channel, body: str, frames: Inbox) -> str:
    """Sends `message` {body} and waits for the ok reply; returns the stored id the reply carries (realtime-py
    keeps only `postgres_changes` of an ok reply, so the id is read from the raw frame)."""
    push, replies = await push_broadcast(channel, "message", {"body": body})
    status, response = await replies.wait_for(what="reply")
    assert status == "ok", f"message {body!r}: {status} {response}"
    raw = await frames.wait_for(lambda f: f.get("event") == "phx_reply" and f.get("ref") == push.ref
                                and f.get("topic") == channel.topic
                                and "id" in (f["payload"].get("response") or {}), f"raw reply to {body!r}")
    return raw["payload"]["response"]["id"]


def test_messages_reach_both_members_and_a_reconnect_replays_exactly_the_missed_ones(live_rally, rows):
    alice, bob = rows.user(name="alice"), rows.user(name="bob")
    group = rows.group(alice, [alice, bob])
    topic = f"group:{group}"

    async def body():
        with frame_log() as frames:
            a, b = LiveClient(live_rally, alice, "alice"), LiveClient(live_rally, bob, "bob")
            b_again = LiveClient(live_rally, bob, "bob reconnected")
            try:
                inbox_a = await a.join(topic, live_params(ack=True))
                inbox_b = await b.join(topic, live_params(ack=True))
                channel_a = a.channels[topic]
                sent: dict[str, str] = {}
                for index in range(5):
                    body_text = f"before {index}"
                    sent[await send_message(channel_a, body_text, frames)] = body_text
                first_ids = list(sent)
                assert [int(i) for i in first_ids] == sorted(int(i) for i in first_ids)
                assert len(set(first_ids)) == 5
                for inbox in (inbox_a, inbox_b):
                    await inbox.wait_for(lambda m: m["event"] == "message" and m["meta"]["id"] == first_ids[-1],
                                         "the fifth message")
                    assert message_ids(inbox) == first_ids
                    for message in messages(inbox):
                        payload = message["payload"]
                        assert payload["id"] == message["meta"]["id"] and payload["body"] == sent[payload["id"]]
                        assert payload["user_id"] == alice and payload["group_id"] == group
                        assert not message["meta"].get("replayed")

                last_seen = message_ids(inbox_b)[-1]
                await b.close()
                missed = [await send_message(channel_a, f"missed {index}", frames) for index in range(5)]
                # The ok reply comes when the row is stored, its fan-out a moment later: wait for alice's own copy
                # so that the replay below is the whole gap (the late-NOTIFY case has a test of its own below).
                await inbox_a.wait_for(lambda m: m["event"] == "message" and m["meta"]["id"] == missed[-1],
                                       "alice's copy of the last missed message")
                inbox_again = await b_again.join(topic, live_params(
                    ack=True, replay={"after_id": last_seen, "limit": 100}))
                done = await inbox_again.wait_for(lambda m: m["event"] == "replay_done", "replay_done")
                assert done["payload"] == {"count": 5, "last_id": missed[-1], "more": False}
                live = [await send_message(channel_a, f"live {index}", frames) for index in range(3)]
                await inbox_again.wait_for(lambda m: m["event"] == "message" and m["meta"]["id"] == live[-1],
                                           "the last live message after the reconnect")
                assert message_ids(inbox_again) == missed + live
                assert [int(i) for i in missed + live] == sorted(int(i) for i in first_ids[-1:] + missed + live)[1:]
                sequence = [(m["event"], m.get("meta", {}).get("replayed", False)) for m in inbox_again.items]
                assert sequence == [("message", True)] * 5 + [("replay_done", False)] + [("message", False)] * 3
                bodies = [m["payload"]["body"] for m in messages(inbox_again)]
                assert bodies == [f"missed {i}" for i in range(5)] + [f"live {i}" for i in range(3)]
            finally:
                await close_all(a, b_again)

    run(body(), timeout=60)


FLOOD = 50_000


class DeliveredTwice(AssertionError):
    """A message reached one subscriber more than once."""


def store_behind_a_flood(connection, group: str, author: str, bystander: str) -> tuple[str, float]:
    """One transaction: FLOOD notifications for a user nobody watches, then a chat message. The node's change
    feed handles the notifications first, so the message's NOTIFY reaches it well after the row is readable.
    Returns the message id and the commit time (monotonic)."""
    with connection.transaction():
        connection.execute("INSERT INTO notifications (user_id, type, title, message) "
                           "SELECT %s, 'flood', 'flood ' || g, 'x' FROM generate_series(1, %s) AS g",
                           (bystander, FLOOD))
        message_id = connection.execute("INSERT INTO group_messages (group_id, user_id, body) "
                                        "VALUES (%s, %s, 'behind the flood') RETURNING id",
                                        (group, author)).fetchone()[0]
    return str(message_id), time.monotonic()


def test_a_message_readable_before_its_notify_is_handled_arrives_once(live_rally, rows):
    alice, bob, bystander = rows.user(name="alice"), rows.user(name="bob"), rows.user(name="bystander")
    group = rows.group(alice, [alice, bob])
    topic = f"group:{group}"
    last_before = rows.message(group, alice, "before")

    async def body():
        a, b = LiveClient(live_rally, alice, "alice"), LiveClient(live_rally, bob, "bob")
        try:
            inbox_a = await a.join(topic)
            stored, committed = await off_loop(store_behind_a_flood, rows.connection, group, alice, bystander)
            inbox_b = await b.join(topic, live_params(replay={"after_id": last_before, "limit": 100}))
            joined = time.monotonic()
            await inbox_b.wait_for(lambda m: m["event"] == "replay_done", "replay_done")
            await inbox_a.wait_for(lambda m: m["event"] == "message" and m["meta"]["id"] == stored,
                                   "the message at alice, live", timeout=60)
            fanned_out = time.monotonic()
            assert fanned_out > joined, "the flood did not delay the fan-out past the join: the test proves nothing"
            later = await off_loop(rows.message, group, alice, "after")
            await inbox_b.wait_for(lambda m: m["event"] == "message" and m["meta"]["id"] == later,
                                   "a later live message", timeout=60)
            sequence = [(m["meta"]["id"], m["meta"].get("replayed", False)) for m in messages(inbox_b)]
            if sequence != [(stored, True), (later, False)]:
                raise DeliveredTwice(f"{sequence}; committed {joined - committed:.3f} s before the join reply, "
                                     f"fanned out {fanned_out - joined:.3f} s after it")
        finally:
            await close_all(a, b)

    run(body(), timeout=120)


def test_a_message_too_large_for_notify_arrives_whole(live_rally, rows):
    alice, bob = rows.user(name="alice"), rows.user(name="bob")
    group = rows.group(alice, [alice, bob])
    big_body = "".join(chr(ord("a") + index % 26) for index in range(19_990)) + "-end-"
    big_body += "0123456789"[: 20_000 - len(big_body)]
    assert len(big_body.encode()) == 20_000

    async def body():
        b = LiveClient(live_rally, bob, "bob")
        try:
            inbox = await b.join(f"group:{group}")
            stored_id = await off_loop(rows.message, group, alice, big_body)
            received = await inbox.wait_for(lambda m: m["event"] == "message", "the 20,000-byte message")
            assert received["meta"]["id"] == stored_id
            assert received["payload"]["id"] == stored_id and received["payload"]["user_id"] == alice
            assert len(received["payload"]["body"]) == 20_000
            assert received["payload"]["body"] == big_body
        finally:
            await b.close()

    run(body())
