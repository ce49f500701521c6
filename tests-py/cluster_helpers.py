"""Several real `rally` processes on one real Redis (its own `redis-server` per test module, so a test may
restart it): the fixtures and helpers of the cluster tests (README "Running several nodes")."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import RallyNode, wait_ready

REDIS_DEADLINE_S = 15.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A `redis-server` on a loopback port, started and stopped by the test (restartable on the same port)."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server not found (apt-get install redis-server)")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.directory / "redis.log", "ab")
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)], stdout=log, stderr=log)
        deadline = time.monotonic() + REDIS_DEADLINE_S
        while time.monotonic() < deadline:
            if self.cli("PING").strip() == "PONG":
                return
            time.sleep(0.05)
        pytest.fail(f"redis-server did not answer on {self.port} within {REDIS_DEADLINE_S} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def cli(self, *arguments: str) -> str:
        result = subprocess.run(["redis-cli", "-p", str(self.port), *arguments], capture_output=True, text=True,
                                timeout=REDIS_DEADLINE_S)
        return result.stdout


def start_nodes(redis: RedisServer, count: int, log_dir: Path, first_id: int = 1,
                extra: dict[str, str] | None = None) -> list[RallyNode]:
    """`count` nodes on `redis`, with node ids from `first_id` on (ids must be unique on one bus)."""
    nodes = []
    for index in range(count):
        env = {"RALLY_REDIS_URL": redis.url, "RALLY_NODE_ID": f"{first_id + index:x}", "RALLY_THREADS": "1",
               **(extra or {})}
        directory = log_dir / f"node{index + 1}"
        directory.mkdir(parents=True, exist_ok=True)
        nodes.append(RallyNode.start(env, directory))
    for node in nodes:
        wait_ready(node)
    return nodes


async def acked_sends(socket, topic: str, count: int) -> list[str]:
    """Broadcasts with a ref, one at a time, each answered: "ok" or the error's reason."""
    outcomes = []
    for index in range(count):
        ref = f"b{index}-{time.monotonic_ns()}"
        await socket.send({"topic": topic, "event": "broadcast", "ref": ref, "join_ref": "1",
                           "payload": {"type": "broadcast", "event": "n", "payload": {"i": index}}})
        reply, _ = await socket.reply_to(ref, topic)
        status = reply["payload"]["status"]
        outcomes.append(status if status == "ok" else reply["payload"]["response"].get("reason", "?"))
    return outcomes


async def check_user_limit_of_20_across_two_nodes(nodes, user_token: str, redis_total, topic: str) -> None:
    """One user limited to 20 writes a minute, with a socket on each of two nodes: 15 on the first; once Redis
    holds them, one on the second (admitted before it knows anything) and, once that is synced too, exactly 4
    more out of 10. `redis_total()` reads the user's counter from Redis."""
    from helpers import RawSocket

    async def wait_total(expected: int) -> None:
        deadline = time.monotonic() + REDIS_DEADLINE_S
        while redis_total() != expected:
            assert time.monotonic() < deadline, f"Redis total never reached {expected}: {redis_total()}"
            await asyncio.sleep(0.02)

    config = {"broadcast": {"ack": True, "self": False}, "presence": {"key": "", "enabled": False},
              "private": False}
    sockets = [await RawSocket.open(node, user_token) for node in nodes]
    for socket in sockets:
        await socket.join(topic, config=config)
    assert await acked_sends(sockets[0], topic, 15) == ["ok"] * 15
    await wait_total(15)
    assert await acked_sends(sockets[1], topic, 1) == ["ok"]  # nothing known on node 2 yet: admitted
    await wait_total(16)
    second = await acked_sends(sockets[1], topic, 10)
    assert second.count("ok") == 4, second
    assert all("Too many messages per minute" in outcome for outcome in second if outcome != "ok"), second
    for socket in sockets:
        await socket.close()


# MARK: scenarios shared by the Redis and the Redis Cluster tests


async def subscriber(node, topic: str, params: dict | None = None):
    """A realtime-py client on `node` joined to `topic`, with an inbox of its broadcasts."""
    from conftest import make_token
    from helpers import Inbox, client_for, listen_broadcasts, subscribe

    client = client_for(node, make_token())
    inbox = Inbox(f"broadcasts at :{node.port}")
    channel, _ = await subscribe(client, topic, params, lambda c: listen_broadcasts(c, inbox))
    return client, channel, inbox


def numbers(inbox) -> list[int]:
    return [item["payload"]["i"] for item in inbox.items if item["event"] == "n"]


async def check_exactly_once_in_order(nodes, topic: str, messages: int) -> None:
    """A subscriber on every node; the first publishes `messages` numbered broadcasts (self false): every other
    node's subscriber gets each once and in order, the publisher none of its own."""
    clients = [await subscriber(node, topic) for node in nodes]
    _, channel, own = clients[0]
    for index in range(messages):
        await channel.send_broadcast("n", {"i": index})
    await channel.send_broadcast("end", {})
    for _, _, inbox in clients[1:]:
        await inbox.wait_for(lambda item: item["event"] == "end", "the last broadcast")
        assert numbers(inbox) == list(range(messages))
    assert numbers(own) == []  # self is false: not on its own node, not echoed back from Redis
    for client, _, _ in clients:
        await client.close()


async def check_presence_across_nodes(nodes, topic: str) -> None:
    """Trackers on nodes 1 and 3, a watcher on node 2 sees both join and one leave; a late joiner on node 3 gets
    a presence_state with both."""
    from conftest import make_token
    from helpers import Inbox, channel_params, client_for, subscribe

    watcher = client_for(nodes[1], make_token())
    joins, leaves = Inbox("joins"), Inbox("leaves")

    def configure(channel):
        channel.on_presence_join(lambda key, current, new: joins.put(key))
        channel.on_presence_leave(lambda key, current, left: leaves.put(key))

    await subscribe(watcher, topic, channel_params(presence_enabled=True), configure)
    trackers = []
    for index in (0, 2):
        client = client_for(nodes[index], make_token())
        channel, _ = await subscribe(client, topic, channel_params(presence_key=f"k{index}", presence_enabled=True))
        await channel.track({"node": index})
        trackers.append(client)
    await joins.wait_for(lambda key: key == "k0", "k0 (node 1) at node 2")
    await joins.wait_for(lambda key: key == "k2", "k2 (node 3) at node 2")
    late = client_for(nodes[2], make_token())
    late_syncs = Inbox("late syncs")
    await subscribe(late, topic, channel_params(presence_enabled=True),
                    lambda c: c.on_presence_sync(lambda: late_syncs.put(dict(c.presence_state()))))
    await late_syncs.wait_for(lambda state: {"k0", "k2"} <= set(state), "a state with both, from two nodes")
    await trackers[0].close()
    await leaves.wait_for(lambda key: key == "k0", "k0's leave at node 2")
    for client in (watcher, trackers[1], late):
        await client.close()


async def check_backend_publish(nodes, topic: str, publish) -> None:
    """`publish(text)` sends a backend message into Redis: a malformed one is dropped, a good one reaches a
    subscriber on every node."""
    import json

    clients = [await subscriber(node, topic) for node in nodes]
    publish("{not json")
    publish(json.dumps({"topic": topic, "event": "headline", "payload": {"t": "hi"}}))
    for _, _, inbox in clients:
        item = await inbox.wait_for(lambda item: item["event"] == "headline", "the backend's broadcast")
        assert item["payload"] == {"t": "hi"}
    for client, _, _ in clients:
        await client.close()


async def wait_until_bus_up(nodes) -> None:
    """After a fault: every node's subscriptions are live again (`rally_bus_up 1` in /metrics), so the next test
    does not meet a node still reconnecting (whose joins of new topics are refused, as they should be)."""
    import urllib.request

    for node in nodes:
        deadline = time.monotonic() + REDIS_DEADLINE_S
        while True:
            with urllib.request.urlopen(f"{node.http_url}/metrics", timeout=5) as response:
                if "rally_bus_up 1" in response.read().decode():
                    break
            assert time.monotonic() < deadline, f"node :{node.port} never reconnected to Redis"
            await asyncio.sleep(0.05)
