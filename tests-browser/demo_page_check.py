#!/usr/bin/env python3
"""Opens the demo page of a running embedded node in headless Chromium tabs, one per demo person, and checks what
the page promises a newcomer (README "The demo"):

- Alice RSVPs to Bob's open studio and creates an event: Bob's tab sees the count move, and both in his
  activity feed (the new event joins his events); Dave's tab shows Alice's profile refused (she shares with
  friends only) and never gets her items, though he gets Bob's public one that follows them;
- Alice writes in the Rooftop crew chat: Bob's tab shows it live, and again (replayed from the store) after a
  reload; Dave's tab shows the private group refused;
- Alice nudges Bob: a notification arrives in his tab; Dave cannot nudge Erin, whom he blocked;
- the Friday dinner plan: Alice and Bob see each other present, Bob's vote and Alice's "confirm" reach the
  other tab; Dave, who declined, is not let in.

With a second URL (another node of the same cluster), Alice's tab is on the first node and Bob's on the second:
each node has its own in-memory directory, so only the plan's presence and votes (which travel on the bus) are
checked there.

    python3 tests-browser/demo_page_check.py http://127.0.0.1:4000/ [http://127.0.0.1:4001/] [--screenshot out.png]

Drives Chromium through its DevTools protocol (Debian `chromium`; `websockets` from realtime's dependencies).
Exits non-zero with the page state when a check fails within its deadline.
"""
import argparse, asyncio, base64, json

from chromium import Chromium

STUDIO = "e0000000-0000-4000-8000-000000000003"
ROOFTOP = "60000000-0000-4000-8000-000000000001"
DINNER = "70000000-0000-4000-8000-000000000001"


async def open_tab(browser, url, who):
    """The demo page at `url` as `who`, once its channels are joined."""
    tab = await browser.open_tab(f"{url}?as={who.lower()}", f"demo page ({who}'s tab)")
    await tab.wait_text("#status", f"joined as {who}", "the join of every channel")
    return tab


async def check_single_node(alice, bob, dave):
    # An RSVP: the count moves in the other tab, and the activity reaches the friend only.
    await bob.wait_for(f"document.getElementById('count-{STUDIO}').dataset.going === '0'", "the studio's count")
    await alice.click(f"#rsvp-going-{STUDIO}")
    await bob.wait_for(f"document.getElementById('count-{STUDIO}').dataset.going === '1'", "the count moving")
    await bob.wait_text("#feed", "Alice is going to Bob's open studio", "Alice's RSVP in her friend's feed")
    await dave.wait_text("#rule-alice", "hidden: Alice shares with friends only",
                         "Alice's friends-only profile refused to a stranger")
    await dave.wait_text("#rule-erin", "a block", "Erin's profile refused across the block")
    await dave.wait_text("#feed-hidden", "Alice", "the feed saying Alice's activity is hidden")
    await alice.fill_and_submit("new-event", new_event_title="Picnic by the river")
    await bob.wait_text("#feed", "Alice created Picnic by the river", "Alice's new event in her friend's feed")
    await bob.wait_text("#events", "Picnic by the river", "Alice's new event among the friend's events")
    await bob.click(f"#rsvp-interested-{STUDIO}")
    await dave.wait_text("#feed", "Bob is interested in Bob's open studio", "Bob's public activity")
    if "Alice" in await dave.text("#feed"):
        await dave.fail("Alice's friends-only activity reached a stranger")

    # Group chat: live, then replayed from the store after a reload; refused to a non-member.
    await alice.eval(f"(() => {{ const f = document.querySelector('#chat-{ROOFTOP}').nextElementSibling;"
                     f" f.querySelector('input').value = 'rooftop at eight?'; f.requestSubmit(); return true; }})()")
    await bob.wait_text(f"#chat-{ROOFTOP}", "Alice: rooftop at eight?", "Alice's chat message")
    await dave.wait_text(f"#chat-{ROOFTOP}", "hidden from you", "the private group refused to Dave")
    await bob.call("Page.reload")
    await bob.wait_for(f"[...document.querySelectorAll('#chat-{ROOFTOP} p.replayed')]"
                       f".some(p => p.innerText.includes('rooftop at eight?'))", "the message replayed after a reload")
    await bob.wait_text("#status", "joined as Bob", "the rejoin after the reload")

    # A notification, and a nudge refused across a block.
    await alice.fill_and_submit("nudge", nudge_to="b0b00000-0000-4000-8000-000000000002", nudge_text="bring snacks")
    await bob.wait_text("#notifications", "Alice nudged you — bring snacks", "Alice's notification")
    await bob.wait_text("#unread", "1", "the unread count")
    await dave.fill_and_submit("nudge", nudge_to="e2170000-0000-4000-8000-000000000005")
    await dave.wait_text("#nudge-result", "Blocked", "the nudge refused across the block")

    await check_plan(alice, bob)
    await dave.wait_text("#plans", "not a participant", "the plan refused to Dave")
    await alice.click("#plan-confirmed")
    await bob.wait_text(f"#plan-status-{DINNER}", "confirmed", "the plan's new status")


async def check_plan(alice, bob):
    for tab in (alice, bob):
        await tab.wait_text(f"#plan-here-{DINNER}", "Alice, Bob", "both present in the planning session")
    await bob.click("#vote-sushi")
    await alice.wait_text(f"#plan-votes-{DINNER}", "Sushi 1", "Bob's vote")


async def check(page_url, other_url, screenshot):
    async with Chromium("demo page") as browser:
        alice = await open_tab(browser, page_url, "Alice")
        bob = await open_tab(browser, other_url or page_url, "Bob")
        if other_url:
            await check_plan(alice, bob)
            print(f"demo page: Alice on {page_url} and Bob on {other_url} saw each other in the planning session"
                  " and Bob's vote")
        else:
            dave = await open_tab(browser, page_url, "Dave")
            await check_single_node(alice, bob, dave)
            print(f"demo page on {page_url}: capacity, activity (and its refusal to Dave), chat with replay after a"
                  " reload, a notification, and the planning session's presence, votes and status, in three tabs")
        if screenshot:
            await bob.call("Emulation.setDeviceMetricsOverride", width=1280, height=1000, deviceScaleFactor=1,
                           mobile=False)
            shot = await bob.call("Page.captureScreenshot", format="png")
            with open(screenshot, "wb") as out:
                out.write(base64.b64decode(shot["data"]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("other_url", nargs="?", help="Bob's node (another node of the cluster)")
    parser.add_argument("--screenshot")
    args = parser.parse_args()
    asyncio.run(check(args.url, args.other_url, args.screenshot))
