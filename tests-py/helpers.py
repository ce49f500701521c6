"""Async helpers: bounded runs, inboxes filled by client callbacks, a log of the frames realtime-py receives,
and a raw `websockets` socket speaking vsn 1.0.0."""

from __future__ import annotations

import ast
import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Coroutine
from contextlib import contextmanager
from typing import Any

from realtime import AsyncRealtimeClient
from realtime.types import ChannelEvents, RealtimeAcknowledgementStatus, RealtimeSubscribeStates
from websockets.asyncio.client import ClientConnection, connect

TEST_TIMEOUT_S = 20.0
STEP_TIMEOUT_S = 10.0


def run(coroutine: Coroutine[Any, Any, Any], timeout: float = TEST_TIMEOUT_S) -> Any:
    """Runs one test body on a fresh event loop, bounded in time."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


def unique_topic(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Inbox:
    """Items pushed by callbacks, and waits (with a deadline) for the first item matching a predicate."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.items: list[Any] = []
        self._waiters: list[tuple[Callable[[Any], bool], asyncio.Future]] = []

    def put(self, item: Any) -> None:
        self.items.append(item)
        for predicate, future in self._waiters:
            if not future.done() and predicate(item):
                future.set_result(item)

    def matching(self, predicate: Callable[[Any], bool]) -> list[Any]:
        return [item for item in self.items if predicate(item)]

    async def wait_for(self, predicate: Callable[[Any], bool] = lambda _: True, what: str = "an item",
                       timeout: float = STEP_TIMEOUT_S) -> Any:
        for item in self.items:
            if predicate(item):
                return item
        future = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise AssertionError(f"{self.name}: no {what} within {timeout} s; got {self.items!r}") from None
        finally:
            self._waiters.remove(entry)


# MARK: realtime-py


def channel_params(*, self_: bool = False, ack: bool = False, presence_key: str = "",
                   presence_enabled: bool = False) -> dict:
    return {"config": {"broadcast": {"ack": ack, "self": self_},
                       "presence": {"key": presence_key, "enabled": presence_enabled},
                       "private": False}}


def client_for(node, token: str) -> AsyncRealtimeClient:
    """A realtime-py client that does not reconnect on its own (a server close must show up in the test)."""
    return AsyncRealtimeClient(node.realtime_url, token, auto_reconnect=False)


async def subscribe(client: AsyncRealtimeClient, topic: str, params: dict | None = None,
                    configure: Callable[[Any], None] | None = None):
    """Subscribes to `topic`; returns the channel and an inbox of its (state, error) callbacks.
    `configure` registers listeners before the join."""
    channel = client.channel(topic, params)
    if configure:
        configure(channel)
    states = Inbox(f"subscribe states of {topic}")
    await channel.subscribe(lambda state, error: states.put((state, error)))
    first_state, error = states.items[0] if states.items else (None, None)
    assert first_state == RealtimeSubscribeStates.SUBSCRIBED, f"join of {topic}: {first_state} {error}"
    return channel, states


def listen_broadcasts(channel, inbox: Inbox, event: str = "*") -> None:
    channel.on_broadcast(event, inbox.put)


async def push_broadcast(channel, event: str, payload: dict):
    """Pushes a broadcast `event` on `channel`; returns the push (its ref) and an Inbox that gets the server's answer
    as ("ok" | "error", response), or ("timeout", None)."""
    push = await channel.push(ChannelEvents.broadcast, {"type": "broadcast", "event": event, "payload": payload})
    replies = Inbox(f"reply to {event}")
    push.receive(RealtimeAcknowledgementStatus.Ok, lambda response: replies.put(("ok", response)))
    push.receive(RealtimeAcknowledgementStatus.Error, lambda response: replies.put(("error", response)))
    push.receive(RealtimeAcknowledgementStatus.Timeout, lambda: replies.put(("timeout", None)))
    return push, replies


async def reply_to_broadcast(channel, event: str, payload: dict) -> tuple[str, dict]:
    """A broadcast and the server's answer to it (`push_broadcast`)."""
    _, replies = await push_broadcast(channel, event, payload)
    return await replies.wait_for(what=f"reply to {event}")


class FrameLog(logging.Handler):
    """Every frame realtime-py's listen loop receives (it logs each one as `receive: <repr>` at debug level)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.frames = Inbox("frames received by realtime-py")

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text.startswith("receive: "):
            raw = ast.literal_eval(text[len("receive: "):])
            self.frames.put(json.loads(raw))


@contextmanager
def frame_log():
    logger = logging.getLogger("realtime._async.client")
    handler = FrameLog()
    previous_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler.frames
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


# MARK: raw websockets (vsn 1.0.0)


class RawSocket:
    """A vsn 1.0.0 socket driven frame by frame."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, node, token: str) -> "RawSocket":
        return cls(await connect(node.ws_url(token), open_timeout=STEP_TIMEOUT_S))

    async def send(self, frame: dict | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def next_frame(self, timeout: float = STEP_TIMEOUT_S) -> dict:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        return json.loads(raw)

    async def frames_until(self, predicate: Callable[[dict], bool], what: str,
                           timeout: float = STEP_TIMEOUT_S) -> list[dict]:
        """Frames received up to and including the first one matching `predicate`."""
        received: list[dict] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                frame = await self.next_frame(max(remaining, 0.001))
            except TimeoutError:
                raise AssertionError(f"no {what} within {timeout} s; received {received!r}") from None
            received.append(frame)
            if predicate(frame):
                return received

    async def reply_to(self, ref: Any, topic: str, timeout: float = STEP_TIMEOUT_S) -> tuple[dict, list[dict]]:
        """The phx_reply with `ref` on `topic`, and the frames that came before it."""
        frames = await self.frames_until(
            lambda f: f.get("event") == "phx_reply" and f.get("ref") == ref and f.get("topic") == topic,
            f"phx_reply with ref {ref!r} on {topic}", timeout)
        return frames[-1], frames[:-1]

    async def heartbeat(self, ref: Any = "hb") -> list[dict]:
        """Sends a heartbeat, checks its reply, returns the frames that arrived before the reply."""
        await self.send({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": ref})
        reply, before = await self.reply_to(ref, "phoenix")
        assert reply == {"topic": "phoenix", "event": "phx_reply", "ref": ref,
                         "payload": {"status": "ok", "response": {}}}, reply
        return before

    async def join(self, topic: str, ref: str = "1", config: dict | None = None) -> dict:
        config = config or {"broadcast": {"ack": False, "self": False}, "presence": {"key": "", "enabled": False},
                            "private": False}
        await self.send({"topic": topic, "event": "phx_join", "payload": {"config": config},
                         "ref": ref, "join_ref": ref})
        reply, _ = await self.reply_to(ref, topic)
        assert reply == {"topic": topic, "event": "phx_reply", "ref": ref,
                         "payload": {"status": "ok", "response": {"postgres_changes": []}}}, reply
        return reply

    async def close(self) -> None:
        await self.ws.close()
