"""Leave and rejoin the same topic on one socket (ANCHORS §3.3 "phx_leave": ok reply, then phx_close)."""

from conftest import make_token
from helpers import Inbox, channel_params, client_for, frame_log, listen_broadcasts, run, subscribe, unique_topic
from realtime.types import RealtimeSubscribeStates as States


def test_leave_then_rejoin_receives_each_message_once(rally):
    async def body():
        with frame_log() as frames:
            name = unique_topic("rejoin")
            topic = f"realtime:{name}"
            a, b = client_for(rally, make_token()), client_for(rally, make_token())
            try:
                old_inbox, new_inbox, inbox_b = Inbox("A before leaving"), Inbox("A after rejoin"), Inbox("B")
                old_channel, old_states = await subscribe(a, name, None, lambda ch: listen_broadcasts(ch, old_inbox))
                # B hears itself (`self`), so B's own copy says when the server has fanned a message out.
                b_channel, _ = await subscribe(b, name, channel_params(self_=True),
                                               lambda ch: listen_broadcasts(ch, inbox_b))

                await old_channel.unsubscribe()
                await old_states.wait_for(lambda s: s[0] == States.CLOSED, "CLOSED after unsubscribe")
                await frames.wait_for(lambda f: f.get("topic") == topic and f.get("event") == "phx_close",
                                      "phx_close after phx_leave")
                # While A is out, B's messages must not reach it.
                await b_channel.send_broadcast("while-away", {})
                # The rejoin below is sent only once the server has fanned "while-away" out: two sockets' frames
                # have no order between them, and a join verified in place can overtake B's broadcast.
                await inbox_b.wait_for(lambda m: m["event"] == "while-away", "B's own while-away")

                new_channel, _ = await subscribe(a, name, None, lambda ch: listen_broadcasts(ch, new_inbox))
                assert new_channel is not old_channel
                await b_channel.send_broadcast("after-rejoin", {"n": 1})
                await b_channel.send_broadcast("barrier", {"n": 2})
                await new_inbox.wait_for(lambda m: m["event"] == "barrier", "barrier broadcast after rejoin")
                assert [m["event"] for m in new_inbox.items] == ["after-rejoin", "barrier"]
                assert old_inbox.items == []

                await new_channel.send_broadcast("from-rejoined", {})
                await inbox_b.wait_for(lambda m: m["event"] == "from-rejoined", "broadcast from the rejoined A")
            finally:
                await a.close()
                await b.close()

    run(body())

