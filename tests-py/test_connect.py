"""Connect and subscribe with realtime-py; refused upgrades (ANCHORS §3.1 "Connect-time auth")."""

import json

import pytest
from conftest import make_token
from helpers import client_for, run, subscribe, unique_topic
from realtime.types import ChannelStates
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus


def test_subscribe_reaches_subscribed(rally):
    async def body():
        client = client_for(rally, make_token())
        try:
            await client.connect()
            assert client.is_connected
            channel, states = await subscribe(client, unique_topic("room"))
            assert channel.state == ChannelStates.JOINED
            assert [state for state, _ in states.items] == ["SUBSCRIBED"]
        finally:
            await client.close()

    run(body())


def test_client_with_garbage_token_is_refused(rally):
    async def body():
        client = client_for(rally, "not-a-jwt")
        with pytest.raises(InvalidStatus) as refused:
            await client.connect()
        assert refused.value.response.status_code == 401
        assert not client.is_connected

    run(body())


REFUSALS = {
    "missing": (None, "API key is missing"),
    "expired": (make_token(expires_in=-120), "Token has expired"),
    "garbage": ("garbage.token.here", "The token provided is not a valid JWT"),
    "not-a-jwt": ("hello", "The token provided is not a valid JWT"),
    "wrong-signature": (make_token(secret="some-other-secret-0123456789"), "Failed to validate JWT signature"),
    "missing-role": (make_token(drop=("role",)), "Fields `role` and `exp` are required in JWT"),
    "missing-exp": (make_token(drop=("exp",)), "Fields `role` and `exp` are required in JWT"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refused_upgrade_has_401_and_error_body(rally, case):
    token, message = REFUSALS[case]

    async def body():
        with pytest.raises(InvalidStatus) as refused:
            ws = await connect(rally.ws_url(token), open_timeout=10)
            await ws.close()
        response = refused.value.response
        assert response.status_code == 401, (response.status_code, response.body)
        assert json.loads(response.body) == {"error": message}

    run(body())


def test_null_broadcast_and_presence_config_subscribes(rally):
    """realtime-py sends `"broadcast": null` when the channel has no broadcast options (ANCHORS §3.3)."""

    async def body():
        client = client_for(rally, make_token())
        try:
            params = {"config": {"broadcast": None, "presence": None, "private": False}}
            channel, _ = await subscribe(client, unique_topic("nulls"), params)
            assert channel.state == ChannelStates.JOINED
        finally:
            await client.close()

    run(body())
