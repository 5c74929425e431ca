"""Browsers as viewers of a server with a token, in a real headless Chromium.

The page (clients/browser/) is served from another loopback port than the
server's, so everything it does is cross-origin, as for a real dashboard
page: from an origin in the server's allowed_origins it reads REST with the
token (CORS) and opens the stream with a ticket; from another origin the
browser refuses it all. Chromium is driven over the DevTools protocol with
the `websockets` package the reference client already uses.

Needs Debian's `chromium` (scripts/test.sh installs it); without it the test
fails, naming the package.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http.server
import itertools
import json
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from server_process import running_server

PAGES = Path(__file__).resolve().parents[1] / "browser"
TOKEN = "browser-test-token-0123456789abcdef-0123"
# Every wait is bounded, so a broken browser or server fails the test.
STEP_TIMEOUT_SECS = 30


@contextlib.contextmanager
def page_server() -> Iterator[str]:
    """clients/browser/ served on a free loopback port; yields its origin."""
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(PAGES)
    )
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def chromium() -> Iterator[str]:
    """A headless Chromium with a new empty profile; yields its DevTools
    HTTP endpoint. Stopped by PID, its profile removed."""
    binary = shutil.which("chromium")
    assert binary, (
        "Chromium is needed for the browser test: install Debian's `chromium` "
        "package (scripts/test.sh does, with scripts/apt-install.sh)"
    )
    # Chromium's helper processes can still be writing the profile for a
    # moment after the main process has exited: a profile that will not go
    # at once is left to /tmp's cleaning, not reported as a test error.
    with tempfile.TemporaryDirectory(
        prefix="hostpulse-chromium-", ignore_cleanup_errors=True
    ) as profile:
        process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # Chromium writes the port it picked to this file once it listens.
            port_file = Path(profile) / "DevToolsActivePort"
            give_up = time.monotonic() + STEP_TIMEOUT_SECS
            while not port_file.is_file() or not port_file.read_text().strip():
                assert process.poll() is None, "chromium exited at start"
                assert time.monotonic() < give_up, "chromium never opened its DevTools port"
                time.sleep(0.1)
            port = port_file.read_text().split()[0]
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


async def run_in_page(devtools: str, page_url: str, script: str) -> dict:
    """Opens `page_url` in a new tab and returns what the async `script`
    (a JavaScript expression evaluating to a promise) resolves to."""
    request = urllib.request.Request(f"{devtools}/json/new?{page_url}", method="PUT")
    with urllib.request.urlopen(request, timeout=STEP_TIMEOUT_SECS) as answer:
        target = json.load(answer)
    ids = itertools.count(1)
    async with websockets.connect(target["webSocketDebuggerUrl"], max_size=None) as tab:

        async def call(method: str, **params: object) -> dict:
            call_id = next(ids)
            await tab.send(json.dumps({"id": call_id, "method": method, "params": params}))
            while True:
                reply = json.loads(await tab.recv())
                if reply.get("id") == call_id:
                    assert "error" not in reply, reply
                    return reply["result"]

        async def evaluate(expression: str) -> object:
            result = await call(
                "Runtime.evaluate",
                expression=expression,
                awaitPromise=True,
                returnByValue=True,
            )
            assert "exceptionDetails" not in result, result["exceptionDetails"]
            return result["result"].get("value")

        give_up = time.monotonic() + STEP_TIMEOUT_SECS
        while not await evaluate(
            "document.readyState === 'complete' && typeof HostPulse === 'object'"
        ):
            assert time.monotonic() < give_up, f"{page_url} never loaded"
            await asyncio.sleep(0.1)
        return await asyncio.wait_for(evaluate(script), STEP_TIMEOUT_SECS)


# Run in a page from the allowed origin: a REST read with the token, then
# the stream (hello, the replay, live samples), a close echoed with its code
# while a replay is still on its way, and a ticket that opens only once.
ALLOWED_SCRIPT = """
(async () => {
  const server = SERVER, token = TOKEN;
  const next = (socket) => new Promise((resolve, reject) => {
    socket.onmessage = (event) => resolve(JSON.parse(event.data));
    socket.onclose = (event) => reject(new Error(`closed with ${event.code}`));
  });
  const closed = (socket) => new Promise((resolve) => {
    socket.onclose = (event) => resolve(event.code);
  });
  const result = {};
  result.snapshot = await HostPulse.read(server, token, "/api/v1/snapshot");

  const socket = await HostPulse.connect(server, token);
  result.messages = [];
  let live = 0;
  while (live < 2) {
    const message = await next(socket);
    result.messages.push(message);
    if (message.type === "sample") live += 1;
  }
  socket.close(4001);
  result.closed = await closed(socket);

  const replaying = await HostPulse.connect(server, token);
  result.replayingFirst = (await next(replaying)).type;
  replaying.close(4002);
  result.closedDuringReplay = await closed(replaying);

  const ticket = await HostPulse.ticket(server, token);
  const url = new URL("/ws", server);
  url.protocol = "ws:";
  url.searchParams.set("ticket", ticket);
  const once = new WebSocket(url);
  result.onceFirst = (await next(once)).type;
  once.close(1000);
  await closed(once);
  const twice = new WebSocket(url);
  result.twice = await new Promise((resolve) => {
    twice.onopen = () => resolve("opened");
    twice.onclose = (event) => resolve(`refused, ${event.code}`);
  });
  return result;
})()
"""

# Run in a page from a foreign origin: no ticket, no read, and a ticket made
# for the allowed origin (a stolen one, say) does not open the stream here.
FOREIGN_SCRIPT = """
(async () => {
  const server = SERVER, token = TOKEN;
  const outcome = async (promise) => {
    try { await promise; return "allowed"; } catch (error) { return String(error); }
  };
  const result = {};
  result.ticket = await outcome(HostPulse.ticket(server, token));
  result.read = await outcome(HostPulse.read(server, token, "/api/v1/snapshot"));
  const url = new URL("/ws", server);
  url.protocol = "ws:";
  url.searchParams.set("ticket", STOLEN);
  const socket = new WebSocket(url);
  result.socket = await new Promise((resolve) => {
    socket.onopen = () => resolve("opened");
    socket.onclose = (event) => resolve(`refused, ${event.code}`);
  });
  return result;
})()
"""


def fill(script: str, **values: str) -> str:
    for name, value in values.items():
        script = script.replace(name, json.dumps(value))
    return script


def ticket_for(server: str, origin: str) -> str:
    """A ticket asked for natively, as a page from `origin` would."""
    request = urllib.request.Request(
        f"{server}/api/v1/ws-ticket",
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Origin": origin},
    )
    with urllib.request.urlopen(request, timeout=STEP_TIMEOUT_SECS) as answer:
        return json.load(answer)["ticket"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The server with a token, allowing the first of two page origins."""
    token_file = tmp_path_factory.mktemp("token") / "token"
    token_file.write_text(TOKEN)
    with page_server() as allowed, page_server() as foreign:
        with running_server(
            "--interval-ms",
            "100",
            "--history",
            "600",
            "--token-file",
            str(token_file),
            "--allow-origin",
            allowed,
        ) as server, chromium() as devtools:
            yield server, allowed, foreign, devtools


def test_a_page_from_an_allowed_origin_reads_and_streams_with_the_token(setup) -> None:
    server, allowed, _, devtools = setup
    script = fill(ALLOWED_SCRIPT, SERVER=server, TOKEN=TOKEN)
    result = asyncio.run(run_in_page(devtools, f"{allowed}/viewer.html", script))
    assert result["snapshot"]["seq"] >= 0
    kinds = [m["type"] for m in result["messages"]]
    assert kinds[0] == "hello" and kinds[1] == "history", kinds
    seqs = [s["seq"] for m in result["messages"] if m["type"] == "history" for s in m["samples"]]
    seqs += [m["seq"] for m in result["messages"] if m["type"] == "sample"]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"a gap or a repeat in {seqs}"
    # The server echoes the page's close code (a browser reports 1005 for a
    # close frame without one), with a replay still in flight too.
    assert result["closed"] == 4001
    assert result["replayingFirst"] == "hello"
    assert result["closedDuringReplay"] == 4002
    assert result["onceFirst"] == "hello"
    assert result["twice"] == "refused, 1006", "a ticket opens one stream only"


def test_a_page_from_another_origin_gets_nothing(setup) -> None:
    server, allowed, foreign, devtools = setup
    stolen = ticket_for(server, allowed)
    script = fill(FOREIGN_SCRIPT, SERVER=server, TOKEN=TOKEN, STOLEN=stolen)
    result = asyncio.run(run_in_page(devtools, f"{foreign}/viewer.html", script))
    # CORS: the browser refuses the preflight's 403, so the page's fetch fails.
    assert result["ticket"] == "TypeError: Failed to fetch", result
    assert result["read"] == "TypeError: Failed to fetch", result
    assert result["socket"] == "refused, 1006", result
