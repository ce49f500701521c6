"""Three `rally` processes on one Redis behave as one hub, seen through the official Supabase client
(realtime-py): broadcasts cross nodes exactly once and in order, presence is one view, a killed node's members
leave, backend services publish through Redis, and a Redis restart is survived and told (README "Running
several nodes")."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import urllib.error
import urllib.request

import pytest

from cluster_helpers import (RedisServer, check_backend_publish, check_exactly_once_in_order,
                             check_presence_across_nodes, check_user_limit_of_20_across_two_nodes, start_nodes,
                             subscriber, wait_until_bus_up)
from conftest import make_token
from helpers import Inbox, RawSocket, channel_params, client_for, listen_broadcasts, run, subscribe, unique_topic

MESSAGES = 50


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def nodes(redis, tmp_path_factory):
    started = start_nodes(redis, 3, tmp_path_factory.mktemp("cluster"))
    yield started
    for node in started:
        if node.process.poll() is None:
            node.terminate()


def test_a_broadcast_reaches_every_node_exactly_once_in_order(nodes):
    run(check_exactly_once_in_order(nodes, unique_topic("cluster"), MESSAGES))


def test_presence_is_one_view_across_nodes(nodes):
    run(check_presence_across_nodes(nodes, unique_topic("presence")))


def test_a_backend_publish_through_redis_reaches_every_node(nodes, redis):
    run(check_backend_publish(nodes, unique_topic("news"), lambda text: redis.cli("PUBLISH", "rally:in", text)))


def test_a_rest_publish_on_one_node_reaches_the_others(nodes):
    async def body():
        topic = unique_topic("rest")
        clients = [await subscriber(node, topic) for node in nodes[1:]]
        body = json.dumps({"messages": [{"topic": topic, "event": "rest", "payload": {"ok": True}}]}).encode()
        request = urllib.request.Request(f"{nodes[0].http_url}/api/broadcast", data=body, method="POST", headers={
            "Authorization": f"Bearer {make_token(role='service_role')}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 202
        for _, _, inbox in clients:
            await inbox.wait_for(lambda item: item["event"] == "rest", "the REST publish")
        for client, _, _ in clients:
            await client.close()

    run(body())


def test_a_killed_nodes_members_leave_within_five_seconds(redis, tmp_path_factory):
    doomed_nodes = start_nodes(redis, 2, tmp_path_factory.mktemp("kill"), first_id=0x10)

    async def body():
        topic = unique_topic("kill")
        watcher = client_for(doomed_nodes[0], make_token())
        joins, leaves = Inbox("joins"), Inbox("leaves")

        def configure(channel):
            channel.on_presence_join(lambda key, current, new: joins.put(key))
            channel.on_presence_leave(lambda key, current, left: leaves.put(key))

        await subscribe(watcher, topic, channel_params(presence_enabled=True), configure)
        doomed = client_for(doomed_nodes[1], make_token())
        channel, _ = await subscribe(doomed, topic, channel_params(presence_key="doomed", presence_enabled=True))
        await channel.track({"x": 1})
        await joins.wait_for(lambda key: key == "doomed", "the doomed member at the other node")
        doomed_nodes[1].process.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        await leaves.wait_for(lambda key: key == "doomed", "the killed node's member leaving", timeout=8)
        assert time.monotonic() - killed_at < 5.0
        await watcher.close()

    try:
        run(body())
    finally:
        for node in doomed_nodes:
            if node.process.poll() is None:
                node.terminate()


def test_a_redis_restart_is_told_and_broadcasts_flow_again(nodes, redis):
    async def body():
        topic = unique_topic("restart")
        systems = Inbox("system messages")
        clients = []
        for node in nodes[:2]:
            client = client_for(node, make_token())
            inbox = Inbox(f"broadcasts at :{node.port}")

            def configure(channel, inbox=inbox):
                listen_broadcasts(channel, inbox)
                channel.on_system(lambda payload: systems.put(payload))

            channel, _ = await subscribe(client, topic, None, configure)
            clients.append((client, channel, inbox))
        redis.stop()
        redis.start()
        await systems.wait_for(lambda p: "RALLY_BUS_GAP" in str(p), "the gap notice", timeout=15)
        _, sender, _ = clients[0]
        deadline = time.monotonic() + 15
        receiver = clients[1][2]
        while not receiver.matching(lambda item: item["event"] == "again") and time.monotonic() < deadline:
            await sender.send_broadcast("again", {"t": time.monotonic()})
            try:
                await receiver.wait_for(lambda item: item["event"] == "again", "a broadcast after the restart", 0.5)
            except AssertionError:
                pass
        assert receiver.matching(lambda item: item["event"] == "again"), "no broadcast crossed after the restart"
        for client, _, _ in clients:
            await client.close()
        await wait_until_bus_up(nodes)

    run(body(), timeout=60)


def test_the_per_user_limit_holds_across_two_nodes(redis, tmp_path_factory):
    limited = start_nodes(redis, 2, tmp_path_factory.mktemp("limit"), first_id=0x20,
                          extra={"RALLY_USER_MESSAGES_PER_MINUTE": "20"})
    user = make_token(sub="00000000-0000-4000-8000-00000000a11c")

    def redis_total() -> int:
        keys = redis.cli("--scan", "--pattern", "rally:rl:*:00000000-0000-4000-8000-00000000a11c").split()
        return sum(int(redis.cli("GET", key).strip() or 0) for key in keys)

    async def body():
        await check_user_limit_of_20_across_two_nodes(limited, user, redis_total, "realtime:" + unique_topic("limit"))

    try:
        run(body())
    finally:
        for node in limited:
            node.terminate()


def test_redis_unreachable_at_start_then_up(tmp_path_factory):
    """The node starts without Redis, refuses joins that need the bus with a retryable error, says so in /readyz
    after the grace, and works once Redis is there."""
    redis = RedisServer(tmp_path_factory.mktemp("late-redis"))
    node = start_nodes_unready(redis, tmp_path_factory.mktemp("late"))

    async def body():
        deadline = time.monotonic() + 10
        while readyz(node)[1].get("redis") is not False:
            assert time.monotonic() < deadline, f"/readyz never reported redis false: {readyz(node)}"
            await asyncio.sleep(0.05)
        assert readyz(node)[0] == 503
        socket = await RawSocket.open(node, make_token())
        await socket.send({"topic": "realtime:late", "event": "phx_join", "ref": "1", "join_ref": "1",
                           "payload": {"config": {}}})
        reply, _ = await socket.reply_to("1", "realtime:late")
        assert reply["payload"]["status"] == "error"
        assert reply["payload"]["response"]["reason"].startswith("BusUnavailable"), reply
        redis.start()
        deadline = time.monotonic() + 15
        while readyz(node)[0] != 200:
            assert time.monotonic() < deadline, f"never ready after Redis came: {readyz(node)}"
            await asyncio.sleep(0.05)
        await socket.join("realtime:late", ref="2")
        await socket.close()

    try:
        run(body(), timeout=40)
    finally:
        node.terminate()
        redis.stop()


def test_a_subscriber_cut_by_redis_output_buffer_limit_recovers(nodes, redis):
    async def body():
        topic = unique_topic("obuf")
        systems = Inbox("system messages")
        receiver = client_for(nodes[1], make_token())
        inbox = Inbox("broadcasts")

        def configure(channel):
            listen_broadcasts(channel, inbox)
            channel.on_system(lambda payload: systems.put(payload))

        await subscribe(receiver, topic, None, configure)
        sender_client, sender, _ = await subscriber(nodes[0], topic)
        redis.cli("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1kb 1kb 0")
        try:
            await sender.send_broadcast("big", {"blob": "x" * 100_000})
            await systems.wait_for(lambda p: "RALLY_BUS_GAP" in str(p), "the gap notice", timeout=15)
        finally:
            redis.cli("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60")
        deadline = time.monotonic() + 15
        while not inbox.matching(lambda item: item["event"] == "after") and time.monotonic() < deadline:
            await sender.send_broadcast("after", {})
            try:
                await inbox.wait_for(lambda item: item["event"] == "after", "a broadcast after the cut", 0.5)
            except AssertionError:
                pass
        assert inbox.matching(lambda item: item["event"] == "after")
        await receiver.close()
        await sender_client.close()
        await wait_until_bus_up(nodes)

    run(body(), timeout=60)


def readyz(node) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{node.http_url}/readyz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def start_nodes_unready(redis: RedisServer, log_dir) -> "RallyNode":
    """One node pointed at a Redis that is not running yet (grace 300 ms), not waiting for /readyz."""
    from conftest import RallyNode
    env = {"RALLY_REDIS_URL": redis.url, "RALLY_NODE_ID": "30", "RALLY_REDIS_READY_GRACE_MS": "300"}
    return RallyNode.start(env, log_dir)


def test_metrics_show_the_bus(nodes):
    async def body():
        topic = unique_topic("metrics")
        clients = [await subscriber(node, topic) for node in nodes[:2]]
        await clients[0][1].send_broadcast("m", {})
        await clients[1][2].wait_for(lambda item: item["event"] == "m", "a broadcast across nodes")
        for client, _, _ in clients:
            await client.close()

    run(body())
    with urllib.request.urlopen(f"{nodes[1].http_url}/metrics", timeout=10) as response:
        text = response.read().decode()
    assert "rally_bus_up 1" in text
    for name in ("rally_bus_nodes", "rally_bus_received_total", "rally_bus_published_total", "rally_bus_lag_seconds_bucket",
                 'rally_bus_dropped_total{reason="echo"}'):
        assert name in text, f"{name} not in /metrics"
