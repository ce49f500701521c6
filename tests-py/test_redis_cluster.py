"""Three `rally` processes on a real Redis Cluster (3 primaries, `scripts/services.sh start`), sharded pub/sub,
seen through the official Supabase client (realtime-py): broadcasts cross nodes exactly once and in order,
presence is one view, a backend publishes with SPUBLISH (on the ingress and on a topic's documented channel), and
the per-user limit holds across nodes with its counters spread over the shards (README "Redis Cluster")."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import uuid

import pytest

from cluster_helpers import (check_backend_publish, check_exactly_once_in_order, check_presence_across_nodes,
                             check_user_limit_of_20_across_two_nodes, start_nodes, subscriber)
from cluster_names import INGRESS, partition_tags, topic_channel
from conftest import make_token
from helpers import run, unique_topic

MESSAGES = 50
PARTITIONS = 32
DEADLINE_S = 10.0


class RedisCluster:
    """The cluster of RALLY_TEST_REDIS_CLUSTER_URL, reached with `redis-cli -c` (follows MOVED)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.port = url.rsplit(":", 1)[1].split("/")[0]

    def cli(self, *arguments: str) -> str:
        result = subprocess.run(["redis-cli", "-c", "-p", self.port, *arguments], capture_output=True, text=True,
                                timeout=DEADLINE_S)
        return result.stdout

    def primaries(self) -> list[str]:
        lines = self.cli("CLUSTER", "NODES").splitlines()
        return [line.split()[1].split("@")[0].rsplit(":", 1)[1] for line in lines if "master" in line.split()[2]]

    def on_each_primary(self, *arguments: str) -> list[tuple[str, str]]:
        return [(port, subprocess.run(["redis-cli", "-p", port, *arguments], capture_output=True, text=True,
                                      timeout=DEADLINE_S).stdout) for port in self.primaries()]

    def shard_channels(self) -> set[str]:
        found = set()
        for port in self.primaries():
            result = subprocess.run(["redis-cli", "-p", port, "PUBSUB", "SHARDCHANNELS", "rally:*"],
                                    capture_output=True, text=True, timeout=DEADLINE_S)
            found.update(result.stdout.split())
        return found


@pytest.fixture(scope="module")
def cluster():
    url = os.environ.get("RALLY_TEST_REDIS_CLUSTER_URL", "")
    if not url:
        if os.environ.get("RALLY_TEST_NO_SERVICES") == "1":
            pytest.skip("RALLY_TEST_NO_SERVICES=1: no Redis Cluster")
        pytest.fail("RALLY_TEST_REDIS_CLUSTER_URL is not set: run `eval \"$(scripts/services.sh start)\"` first")
    return RedisCluster(url)


@pytest.fixture(scope="module")
def nodes(cluster, tmp_path_factory):
    started = start_nodes(cluster, 3, tmp_path_factory.mktemp("redis-cluster"), first_id=0x40,
                          extra={"RALLY_REDIS_CLUSTER": "true", "RALLY_REDIS_PARTITIONS": str(PARTITIONS)})
    yield started
    for node in started:
        if node.process.poll() is None:
            node.terminate()


def test_a_broadcast_reaches_every_node_exactly_once_in_order(nodes):
    run(check_exactly_once_in_order(nodes, unique_topic("cluster"), MESSAGES))


def test_presence_is_one_view_across_nodes(nodes):
    run(check_presence_across_nodes(nodes, unique_topic("presence")))


def test_a_backend_spublish_on_the_documented_topic_channel_reaches_every_node(nodes, cluster):
    async def body():
        topic = unique_topic("named")
        clients = [await subscriber(node, topic) for node in nodes]
        expected = topic_channel(f"realtime:{topic}", partition_tags(PARTITIONS))
        deadline = time.monotonic() + DEADLINE_S
        while expected not in cluster.shard_channels():  # the name a backend computes is the one Rally uses
            assert time.monotonic() < deadline, f"{expected} not among {sorted(cluster.shard_channels())}"
            await asyncio.sleep(0.05)
        cluster.cli("SPUBLISH", expected, json.dumps({"topic": topic, "event": "direct", "payload": {"d": 1}}))
        for _, _, inbox in clients:
            item = await inbox.wait_for(lambda item: item["event"] == "direct", "the backend's topic publish")
            assert item["payload"] == {"d": 1}
        for client, _, _ in clients:
            await client.close()

    run(body())


def test_a_backend_spublish_reaches_every_node(nodes, cluster):
    run(check_backend_publish(nodes, unique_topic("news"), lambda text: cluster.cli("SPUBLISH", INGRESS, text)))


def test_the_per_user_limit_holds_across_two_nodes(cluster, tmp_path_factory):
    limited = start_nodes(cluster, 2, tmp_path_factory.mktemp("limit"), first_id=0x50,
                          extra={"RALLY_REDIS_CLUSTER": "true", "RALLY_REDIS_PARTITIONS": str(PARTITIONS),
                                 "RALLY_USER_MESSAGES_PER_MINUTE": "20"})
    user_id = str(uuid.uuid4())  # the shared cluster outlives one run: a fresh user, so fresh counters
    user = make_token(sub=user_id)

    def redis_total() -> int:
        total = 0
        for port, keys in cluster.on_each_primary("--scan", "--pattern", f"rally:rl:*{user_id}*"):
            for key in keys.split():
                result = subprocess.run(["redis-cli", "-p", port, "GET", key], capture_output=True, text=True,
                                        timeout=DEADLINE_S)
                total += int(result.stdout.strip() or 0)
        return total

    async def body():
        await check_user_limit_of_20_across_two_nodes(limited, user, redis_total, "realtime:" + unique_topic("limit"))

    try:
        run(body())
    finally:
        for node in limited:
            node.terminate()
