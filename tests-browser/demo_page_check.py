#!/usr/bin/env python3
"""Opens the demo page of a running node in two headless Chromium tabs and checks that they join, see each
other's presence, and that a message typed in one tab appears in the other. With a second URL the second tab
opens the page of another node of the same cluster (README "Running several nodes").

    python3 tests-browser/demo_page_check.py http://127.0.0.1:4000/ [http://127.0.0.1:4001/] [--screenshot out.png]

Drives Chromium through its DevTools protocol (Debian `chromium`; `websockets` from realtime's dependencies).
Exits non-zero with the page state when a check fails within its deadline.
"""
import argparse, asyncio, base64, json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request

import websockets


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tab:
    def __init__(self, ws):
        self.ws, self.next_id = ws, 0

    async def call(self, method, **params):
        self.next_id += 1
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(await self.ws.recv())
            if reply.get("id") == self.next_id:
                return reply.get("result", {})

    async def eval(self, expression):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def wait_for(self, expression, what, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await self.eval(expression):
                return
            await asyncio.sleep(0.1)  # polling the page's DOM, bounded by the deadline
        state = await self.eval("document.body.innerText")
        sys.exit(f"demo page: {what} not seen within {timeout}s; page shows:\n{state}")


async def open_tab(devtools, url):
    target = json.load(urllib.request.urlopen(urllib.request.Request(f"{devtools}/json/new?{url}", method="PUT")))
    ws = await websockets.connect(target["webSocketDebuggerUrl"], max_size=None)
    return Tab(ws)


async def check(page_url, other_url, screenshot):
    port = free_port()
    profile = tempfile.mkdtemp(prefix="rally-chromium-")
    browser = subprocess.Popen(
        [shutil.which("chromium") or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
         f"--remote-debugging-port={port}", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    devtools = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{devtools}/json/version", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("demo page: chromium did not start")
                await asyncio.sleep(0.1)
        first, second = await open_tab(devtools, page_url), await open_tab(devtools, other_url or page_url)
        for tab in (first, second):
            await tab.wait_for("document.getElementById('status').textContent.startsWith('joined as')", "join")
        for tab in (first, second):
            await tab.wait_for("document.getElementById('count').textContent === '2'", "two people present")
        await first.eval("document.getElementById('text').value = 'hello from tab one';"
                         "document.getElementById('send').requestSubmit(); true")
        await second.wait_for("document.getElementById('log').innerText.includes('hello from tab one')",
                              "the other tab's message")
        if screenshot:
            shot = await second.call("Page.captureScreenshot", format="png")
            with open(screenshot, "wb") as out:
                out.write(base64.b64decode(shot["data"]))
        where = f"on {page_url} and {other_url}" if other_url else f"on {page_url}"
        print(f"demo page: two tabs {where} joined, saw each other's presence and chatted")
    finally:
        browser.terminate()
        browser.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("other_url", nargs="?", help="the second tab's node (another node of the cluster)")
    parser.add_argument("--screenshot")
    args = parser.parse_args()
    asyncio.run(check(args.url, args.other_url, args.screenshot))
