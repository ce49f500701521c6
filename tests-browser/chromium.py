"""Headless Chromium driven through its DevTools protocol, for the browser checks of this folder (Debian
`chromium`; `websockets` from realtime-py's dependencies): a browser on a free loopback DevTools port with its own
profile, tabs opened on a URL, and in a tab: protocol calls, expressions evaluated in the page, and waits on the
page with a deadline that exit with what the page shows.
"""
import asyncio, json, shutil, socket, subprocess, sys, tempfile, time, urllib.request

import websockets


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Chromium:
    """`async with Chromium("demo page") as browser:` starts headless Chromium (with `arguments` added) and waits
    up to 20 s for its DevTools endpoint (exiting with "<name>: chromium did not start"); leaving the block stops
    it and removes its profile."""

    def __init__(self, name, *arguments):
        self.name, self.arguments = name, arguments

    async def __aenter__(self):
        port = free_port()
        self.profile = tempfile.mkdtemp(prefix="rally-chromium-")
        self.process = subprocess.Popen(
            [shutil.which("chromium") or "chromium", "--headless", "--no-sandbox", "--disable-gpu", *self.arguments,
             f"--remote-debugging-port={port}", f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.devtools = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    urllib.request.urlopen(f"{self.devtools}/json/version", timeout=1)
                    return self
                except OSError:
                    if time.monotonic() > deadline:
                        sys.exit(f"{self.name}: chromium did not start")
                    await asyncio.sleep(0.1)  # the browser is starting; bounded by the deadline
        except BaseException:
            self.stop()
            raise

    async def __aexit__(self, *_):
        self.stop()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)

    async def open_tab(self, url, name=None):
        """A new tab on `url`; `name` (the browser's by default) starts the messages of its failures."""
        # The URL is the query of /json/new as it is: only a fragment's `#` is escaped (urllib would drop it).
        opened = urllib.request.Request(f"{self.devtools}/json/new?{url.replace('#', '%23')}", method="PUT")
        target = json.load(urllib.request.urlopen(opened))
        return Tab(await websockets.connect(target["webSocketDebuggerUrl"], max_size=None), name or self.name)


class Tab:
    def __init__(self, ws, name):
        self.ws, self.name, self.next_id = ws, name, 0

    async def call(self, method, **params):
        """A DevTools call in this tab, and its result (the events that arrive before it are skipped)."""
        self.next_id += 1
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(await self.ws.recv())
            if reply.get("id") == self.next_id:
                return reply.get("result", {})

    async def eval(self, expression):
        """The value of `expression` in the page (a promise's, once it settles)."""
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    async def fill_and_submit(self, form, **fields):
        """Sets the inputs of the page with these ids (keyword `new_event_title` for id `new-event-title`) and
        submits the form of id `form`."""
        sets = "".join(f"document.getElementById({json.dumps(key.replace('_', '-'))}).value = {json.dumps(value)};"
                       for key, value in fields.items())
        await self.eval(f"{sets}document.getElementById({json.dumps(form)}).requestSubmit(); true")

    async def text(self, selector):
        """The text of the first element matching `selector` ('' if none)."""
        return await self.eval(self.text_of(selector))

    @staticmethod
    def text_of(selector):
        return f"((document.querySelector({json.dumps(selector)}) || {{}}).innerText || '')"

    async def click(self, selector):
        """Clicks the first element matching `selector`, or fails if there is none."""
        found = await self.eval(f"(() => {{ const b = document.querySelector({json.dumps(selector)});"
                                f" if (b) b.click(); return !!b; }})()")
        if not found:
            await self.fail(f"no {selector} to click")

    async def wait_text(self, selector, needle, what, timeout=15):
        """Waits until the text of the first element matching `selector` includes `needle`."""
        await self.wait_for(f"{self.text_of(selector)}.includes({json.dumps(needle)})", what, timeout)

    async def wait_for(self, expression, what, timeout=15):
        """Waits until `expression` is truthy in the page, or fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await self.eval(expression):
                return
            await asyncio.sleep(0.1)  # polling the page's DOM, bounded by the deadline
        await self.fail(f"{what} not seen within {timeout}s")

    async def fail(self, what):
        """Exits with `what` and the text the page shows."""
        state = await self.eval("document.body.innerText")
        sys.exit(f"{self.name}: {what}; page shows:\n{state}")
