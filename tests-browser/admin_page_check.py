#!/usr/bin/env python3
"""Opens the admin dashboard of a running node in headless Chromium: a wrong credential is refused; signed in with
the admin token, its numbers move while a client publishes, its inspector joins a topic and shows the messages
published there, and a screenshot of it is not blank.

    python3 tests-browser/admin_page_check.py http://127.0.0.1:4000/ ADMIN_TOKEN [--screenshot out.png]
        [--publish-url http://127.0.0.1:4001/]   # publish through another node of the cluster

Drives Chromium through its DevTools protocol (Debian `chromium`; `websockets` from realtime's dependencies).
Publishes through the REST API with the service_role token the dashboard's own /admin/api/token hands out.
Exits non-zero with the page state when a check fails within its deadline.
"""
import argparse, asyncio, base64, json, struct, sys, urllib.request, zlib

from chromium import Chromium

TOPIC = "admin-check"


def post(url, token, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "authorization": f"Bearer {token}", "content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read()


def png_pixels(data):
    """The 8-bit RGB(A) rows of a non-interlaced PNG (what Chromium's screenshots are), unfiltered."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat, width, height, channels = 8, b"", 0, 0, 0
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and color in (2, 6), f"unexpected PNG format {depth}/{color}"
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        position += 12 + length
    raw, stride, rows, previous = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1: line[x] = (line[x] + left) & 255
            elif kind == 2: line[x] = (line[x] + up) & 255
            elif kind == 3: line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(line)
        previous = line
    return rows, channels


def luminance_spread(png):
    """Standard deviation of the pixels' brightness (a blank page is ~0) and the count of distinct shades."""
    rows, channels = png_pixels(png)
    values = [(r * 3 + g * 6 + b) // 10 for row in rows[::4]
              for r, g, b in zip(row[0::channels * 4], row[1::channels * 4], row[2::channels * 4])]
    mean = sum(values) / len(values)
    return (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5, len(set(values))


async def publish(base, token, stop):
    n = 0
    while not stop.is_set():
        n += 1
        body = {"messages": [{"topic": TOPIC, "event": "tick", "payload": {"n": n, "marker": "hello-admin"}}]}
        await asyncio.to_thread(post, f"{base}api/broadcast", token, body)
        await asyncio.sleep(0.05)  # pacing the publisher, not synchronisation


async def check(base, admin_token, screenshot, publish_base=None):
    service_token = json.loads(post(f"{base}admin/api/token", admin_token, {}))["token"]
    publish_base = publish_base or base
    stop = asyncio.Event()
    publisher = None
    async with Chromium("admin page", "--window-size=1280,900") as browser:
        try:
            refused = await browser.open_tab(f"{base}admin#token=not-the-admin-token")
            await refused.wait_for("document.getElementById('status').textContent === 'refused (401)'",
                                   "a wrong credential refused")
            tab = await browser.open_tab(f"{base}admin#token={admin_token}")
            await tab.wait_for("document.getElementById('status').textContent.startsWith('live')", "live numbers")
            assert await tab.eval("location.hash") == "", "the token stayed in the address bar"
            await tab.fill_and_submit("inspect-form", inspect_topic=TOPIC)
            await tab.wait_for("document.getElementById('inspect-status').textContent.startsWith('joined')",
                               "the inspector's join")
            before = await tab.eval("document.getElementById('v-published_total').textContent")
            publisher = asyncio.create_task(publish(publish_base, service_token, stop))
            await tab.wait_for("document.getElementById('inspect-log').innerText.includes('hello-admin')",
                               "a published message in the inspector")
            await tab.wait_for("parseFloat(document.getElementById('v-deliveries').textContent) > 0",
                               "deliveries/s above zero")
            await tab.wait_for(f"document.getElementById('busiest').innerText.includes('{TOPIC}')",
                               "the inspected topic among the busiest")
            if publish_base == base:
                await tab.wait_for(f"document.getElementById('v-published_total').textContent !== {json.dumps(before)}"
                                   " && parseFloat(document.getElementById('v-published').textContent) > 0",
                                   "the published total and published/s moving")
            else:  # published on the other node: this one receives it from the bus
                dependencies = "document.getElementById('dependencies').innerText"
                await tab.wait_for(f"{dependencies}.includes('other nodes\\t1')"
                                   f" && /bus received\\/s\\t[1-9]/.test({dependencies})",
                                   "the other node of the cluster and messages received from the bus")
            shot = base64.b64decode((await tab.call("Page.captureScreenshot", format="png"))["data"])
            if screenshot:
                with open(screenshot, "wb") as out:
                    out.write(shot)
            spread, shades = luminance_spread(shot)
            if spread < 8 or shades < 16:
                sys.exit(f"admin page: the screenshot looks blank (brightness spread {spread:.1f}, {shades} shades)")
            via = f" published through {publish_base}" if publish_base != base else ""
            print(f"admin page: a wrong credential refused, live numbers moved, the inspector showed {TOPIC}'s "
                  f"messages{via}, screenshot not blank (brightness spread {spread:.1f}, {shades} shades)")
        finally:
            stop.set()
            if publisher:
                await asyncio.gather(publisher, return_exceptions=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("admin_token")
    parser.add_argument("--screenshot")
    parser.add_argument("--publish-url", help="publish through another node of the same cluster (and check the bus)")
    args = parser.parse_args()
    asyncio.run(check(args.url, args.admin_token, args.screenshot, args.publish_url))
