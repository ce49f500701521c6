"""`group:<id>` durable chat on a real PostgreSQL (docs/live-data.md): messages stored and fanned out with their
id, replay after a reconnect with no loss or duplicate, and a message too large for NOTIFY read back whole."""

import asyncio

import pytest
from helpers import Inbox, frame_log, run
from live_helpers import LiveClient, close_all, live_params, off_loop
from realtime.types import ChannelEvents, RealtimeAcknowledgementStatus


@pytest.fixture(scope="module")
def live_env():
    """13 messages from one channel in a moment: above the default chat rate (burst 10)."""
    return {"RALLY_CHAT_PER_SECOND": "1000"}


def messages(inbox: Inbox) -> list[dict]:
    return [message for message in inbox.items if message["event"] == "message"]


def message_ids(inbox: Inbox) -> list[str]:
    return [message["meta"]["id"] for message in messages(inbox)]


async def send_message(channel, body: str, frames: Inbox) -> str:
    """Sends `message` {body} and waits for the ok reply; returns the stored id the reply carries (realtime-py
    keeps only `postgres_changes` of an ok reply, so the id is read from the raw frame)."""
    push = await channel.push(ChannelEvents.broadcast, {"type": "broadcast", "event": "message",
                                                        "payload": {"body": body}})
    replies = Inbox(f"reply to message {body!r}")
    push.receive(RealtimeAcknowledgementStatus.Ok, lambda response: replies.put(("ok", response)))
    push.receive(RealtimeAcknowledgementStatus.Error, lambda response: replies.put(("error", response)))
    push.receive(RealtimeAcknowledgementStatus.Timeout, lambda: replies.put(("timeout", None)))
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

                async def send_live():
                    return [await send_message(channel_a, f"live {index}", frames) for index in range(3)]

                sender = asyncio.create_task(send_live())
                inbox_again = await b_again.join(topic, live_params(
                    ack=True, replay={"after_id": last_seen, "limit": 100}))
                live = await sender
                await inbox_again.wait_for(lambda m: m["event"] == "message" and m["meta"]["id"] == live[-1],
                                           "the last live message after the reconnect")
                received = message_ids(inbox_again)
                assert received == missed + live, f"expected {missed + live}, got {received}"
                events = [(m["event"], m.get("meta", {}).get("replayed", False)) for m in inbox_again.items
                          if m["event"] in ("message", "replay_done")]
                done_at = events.index(("replay_done", False))
                replayed = [m for m in messages(inbox_again) if m["meta"].get("replayed")]
                assert all(flag for _, flag in events[:done_at]), events
                assert not any(flag for _, flag in events[done_at + 1:]), events
                assert [m["meta"]["id"] for m in replayed][:5] == missed
                done = next(m for m in inbox_again.items if m["event"] == "replay_done")["payload"]
                assert done["count"] == len(replayed) and done["last_id"] == replayed[-1]["meta"]["id"]
                assert done["more"] is False
                bodies = [m["payload"]["body"] for m in messages(inbox_again)]
                assert bodies == [f"missed {i}" for i in range(5)] + [f"live {i}" for i in range(3)]
            finally:
                await close_all(a, b_again)

    run(body(), timeout=60)


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
