"""Broadcast between realtime-py clients: delivery, `self`, `ack` (ANCHORS §3.3 "broadcast")."""

from conftest import make_token
from helpers import Inbox, channel_params, client_for, listen_broadcasts, run, subscribe, unique_topic
from realtime.types import ChannelEvents, RealtimeAcknowledgementStatus


def user_events(inbox: Inbox) -> list[str]:
    return [message["event"] for message in inbox.items]


async def two_clients(rally, topic: str, params_a: dict, params_b: dict):
    """Clients A and B subscribed to `topic`, each with an inbox of every broadcast it receives."""
    clients, channels, inboxes = [], [], []
    for name, params in (("A", params_a), ("B", params_b)):
        client = client_for(rally, make_token())
        clients.append(client)
        inbox = Inbox(f"broadcasts received by {name}")
        channel, _ = await subscribe(client, topic, params, lambda ch, inbox=inbox: listen_broadcasts(ch, inbox))
        channels.append(channel)
        inboxes.append(inbox)
    return clients, channels, inboxes


async def close_all(clients) -> None:
    for client in clients:
        await client.close()


def test_broadcast_reaches_the_other_client(rally):
    async def body():
        clients, (a, _), (_, inbox_b) = await two_clients(rally, unique_topic("bc"), channel_params(),
                                                           channel_params())
        try:
            await a.send_broadcast("greeting", {"text": "hello", "n": 1})
            received = await inbox_b.wait_for(what="greeting broadcast")
            assert received == {"event": "greeting", "payload": {"text": "hello", "n": 1}}
        finally:
            await close_all(clients)

    run(body())


def test_self_true_echoes_to_the_sender(rally):
    async def body():
        clients, (a, _), (inbox_a, inbox_b) = await two_clients(
            rally, unique_topic("self"), channel_params(self_=True), channel_params())
        try:
            await a.send_broadcast("mine", {"n": 1})
            echoed = await inbox_a.wait_for(what="own broadcast echoed back")
            assert echoed["event"] == "mine" and echoed["payload"] == {"n": 1}
            await inbox_b.wait_for(lambda m: m["event"] == "mine", "broadcast at the other client")
        finally:
            await close_all(clients)

    run(body())


def test_self_false_does_not_echo_to_the_sender(rally):
    async def body():
        clients, (a, b), (inbox_a, inbox_b) = await two_clients(
            rally, unique_topic("noself"), channel_params(self_=False), channel_params())
        try:
            await a.send_broadcast("first", {"from": "A"})
            await inbox_b.wait_for(lambda m: m["event"] == "first", "A's broadcast at B")
            # Barrier: B answers only after it saw A's message, so an echo to A would have come before this.
            await b.send_broadcast("second", {"from": "B"})
            await inbox_a.wait_for(lambda m: m["event"] == "second", "B's broadcast at A")
            assert user_events(inbox_a) == ["second"]
            assert user_events(inbox_b) == ["first"]
        finally:
            await close_all(clients)

    run(body())


def test_ack_true_gets_the_servers_ok(rally):
    async def body():
        clients, (a, _), (_, inbox_b) = await two_clients(rally, unique_topic("ack"), channel_params(ack=True),
                                                           channel_params())
        try:
            # send_broadcast is push("broadcast", …); push returns the AsyncPush whose reply we wait on.
            push = await a.push(ChannelEvents.broadcast, {"type": "broadcast", "event": "acked", "payload": {"n": 1}})
            acks = Inbox("acknowledgements")
            push.receive(RealtimeAcknowledgementStatus.Ok, lambda response: acks.put(("ok", response)))
            push.receive(RealtimeAcknowledgementStatus.Error, lambda response: acks.put(("error", response)))
            status, _ = await acks.wait_for(what="reply to the acked broadcast")
            assert status == "ok"
            await inbox_b.wait_for(lambda m: m["event"] == "acked", "acked broadcast at B")
        finally:
            await close_all(clients)

    run(body())


def test_ack_false_gets_no_reply(rally):
    async def body():
        clients, (a, _), (_, inbox_b) = await two_clients(rally, unique_topic("noack"), channel_params(ack=False),
                                                           channel_params())
        try:
            push = await a.push(ChannelEvents.broadcast, {"type": "broadcast", "event": "quiet", "payload": {}})
            # Barrier: a presence track is answered; replies on one socket come in order.
            barrier = await a.push(ChannelEvents.presence, {"event": "track", "payload": {"here": True}})
            replies = Inbox("barrier reply")
            barrier.receive(RealtimeAcknowledgementStatus.Ok, replies.put)
            await replies.wait_for(what="ok reply to the presence track")
            assert push.received_resp is None, f"un-acked broadcast got a reply: {push.received_resp}"
            await inbox_b.wait_for(lambda m: m["event"] == "quiet", "un-acked broadcast at B")
        finally:
            await close_all(clients)

    run(body())
