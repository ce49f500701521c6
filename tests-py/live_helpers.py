"""Helpers for the live-data tests: joining a live topic as a user with realtime-py, predicates on the
broadcasts it receives, /readyz, and database writes run off the event loop."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from conftest import make_token
from helpers import Inbox, client_for, subscribe


def live_params(*, ack: bool = False, self_: bool = False, replay: dict | None = None) -> dict:
    """Channel options; `replay` goes into config.broadcast.replay unchanged (realtime-py's `ReplayOption` is a
    TypedDict, so a key it does not declare, such as `after_id`, is sent as given)."""
    broadcast: dict[str, Any] = {"ack": ack, "self": self_}
    if replay is not None:
        broadcast["replay"] = replay
    return {"config": {"broadcast": broadcast, "presence": {"key": "", "enabled": False}, "private": True}}


class LiveClient:
    """One realtime-py client signed in as `user`, and an inbox per joined topic of every broadcast received."""

    def __init__(self, node, user: str, name: str) -> None:
        self.user = user
        self.name = name
        self.client = client_for(node, make_token(sub=user))
        self.channels: dict[str, Any] = {}
        self.inboxes: dict[str, Inbox] = {}

    async def join(self, topic: str, params: dict | None = None) -> Inbox:
        inbox = Inbox(f"broadcasts on {topic} received by {self.name}")
        channel, _ = await subscribe(self.client, topic, params or live_params(),
                                     lambda ch: ch.on_broadcast("*", inbox.put))
        self.channels[topic] = channel
        self.inboxes[topic] = inbox
        return inbox

    async def close(self) -> None:
        await self.client.close()


async def close_all(*clients: LiveClient) -> None:
    for client in clients:
        await client.close()


def named(event: str, **fields: Any) -> Callable[[dict], bool]:
    """Matches a broadcast with that event name whose payload has every given field value."""
    def predicate(message: dict) -> bool:
        payload = message.get("payload") or {}
        return message.get("event") == event and all(payload.get(key) == value for key, value in fields.items())
    return predicate


def payloads(inbox: Inbox, event: str) -> list[dict]:
    return [message["payload"] for message in inbox.items if message.get("event") == event]


async def off_loop(function: Callable, *args: Any) -> Any:
    """Runs a blocking call (a database write) in a thread so the clients keep reading meanwhile."""
    return await asyncio.to_thread(function, *args)


def _get_readyz(node) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{node.http_url}/readyz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def readyz(node) -> tuple[int, dict]:
    """GET /readyz: (status code, JSON body)."""
    return await asyncio.to_thread(_get_readyz, node)


async def wait_until(check: Callable[[], Any], what: str, timeout: float, interval: float = 0.05) -> Any:
    """Polls an async `check` until it returns something truthy, or fails after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    last = None
    while asyncio.get_running_loop().time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"{what} not within {timeout} s; last: {last!r}")
