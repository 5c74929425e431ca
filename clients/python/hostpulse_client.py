"""A reference HostPulse viewer in Python, written from PROTOCOL.md and the
contract in shared/contract/ alone (no Rust code consulted).

It connects to a server's /ws stream, takes the hello and the history replay,
follows the live samples, resumes after a disconnect without a gap, and asks
for older samples with a history_request. Run it as a program to watch a
server:

    python3 hostpulse_client.py ws://127.0.0.1:9470/ws [--token-file FILE]

It needs the `websockets` package (PyPI). The tests in test_contract.py drive
the same class against a real server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass, field
from urllib.parse import urlencode

import websockets

PROTOCOL_VERSION = 1
"""The protocol version this client speaks (the hello's protocol_version)."""


class ProtocolMismatch(Exception):
    """The server speaks a protocol version this client does not."""


@dataclass
class Viewer:
    """One viewer's view of a server: everything received, in seq order.

    `samples` maps seq to sample for the current epoch; `messages` keeps
    every decoded message as received, for a caller (or a test) to inspect.
    """

    url: str
    token: str | None = None
    epoch: int | None = None
    last_seq: int | None = None
    hello: dict | None = None
    samples: dict[int, dict] = field(default_factory=dict)
    messages: list[dict] = field(default_factory=list)
    resets: list[dict] = field(default_factory=list)
    _socket: websockets.ClientConnection | None = None
    _next_id: int = 0

    def stream_url(self) -> str:
        """The /ws URL, with the resume point once we have one."""
        if self.epoch is None or self.last_seq is None:
            return self.url
        query = urlencode({"resume_epoch": self.epoch, "resume_after_seq": self.last_seq})
        return f"{self.url}?{query}"

    async def connect(self) -> dict:
        """Opens the stream (resuming if we have a resume point) and returns the hello."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        self._socket = await websockets.connect(
            self.stream_url(), additional_headers=headers, max_size=16 * 1024 * 1024
        )
        hello = await self._receive()
        if hello.get("type") != "hello":
            raise ValueError(f"expected a hello first, got {hello.get('type')!r}")
        if hello["protocol_version"] != PROTOCOL_VERSION:
            raise ProtocolMismatch(
                f"server speaks protocol {hello['protocol_version']}, this client {PROTOCOL_VERSION}"
            )
        self.hello = hello
        return hello

    async def close(self, code: int = 1000) -> int | None:
        """Closes the stream; returns the close code the server answered with.

        Messages the server sent before it saw our close (the rest of a
        replay, say) still arrive first: they are read and dropped until the
        server's close frame, as RFC 6455 asks. (Left unread, they would fill
        websockets' receive queue, which then stops reading the connection,
        and the server's close frame behind them would never be seen.)
        """
        if self._socket is None:
            return None
        socket, self._socket = self._socket, None
        closing = asyncio.create_task(socket.close(code=code))
        try:
            async for _ in socket:
                pass
        except websockets.ConnectionClosed:
            pass
        await closing
        received = socket.protocol.close_rcvd  # the server's close frame
        return received.code if received is not None else None

    async def drop(self) -> None:
        """Ends the connection abruptly, as a lost network would."""
        if self._socket is not None:
            self._socket.transport.abort()
            self._socket = None

    async def _receive(self) -> dict:
        assert self._socket is not None, "connect first"
        frame = await self._socket.recv()
        message = json.loads(frame)
        self.messages.append(message)
        return message

    def _take(self, sample: dict) -> None:
        """Adds one sample, checking what PROTOCOL.md promises of seq and epoch."""
        if self.epoch is not None and sample["epoch"] != self.epoch:
            raise ValueError(f"sample of epoch {sample['epoch']} without a reset")
        self.epoch = sample["epoch"]
        self.samples[sample["seq"]] = sample
        if self.last_seq is None or sample["seq"] > self.last_seq:
            self.last_seq = sample["seq"]

    async def next_message(self) -> dict:
        """Receives and applies one message; returns it."""
        message = await self._receive()
        kind = message.get("type")
        if kind == "reset":
            # Start afresh: what follows belongs to the server's current epoch.
            self.resets.append(message)
            self.epoch, self.last_seq = None, None
            self.samples.clear()
        elif kind == "history":
            # A reply holds older samples than the stream: kept, but it does
            # not move the resume point (_take keeps the highest seq).
            for sample in message["samples"]:
                self._take(sample)
        elif kind == "sample":
            if self.last_seq is not None and message["seq"] != self.last_seq + 1:
                raise ValueError(f"live seq {message['seq']} after {self.last_seq}: a gap")
            self._take(message)
        # Anything else (error, or a type a newer server sends) is kept in
        # `messages` and otherwise skipped, as the versioning rule asks.
        return message

    async def follow(self, live_samples: int) -> list[dict]:
        """Reads until `live_samples` live samples arrived; returns those."""
        live = []
        while len(live) < live_samples:
            message = await self.next_message()
            if message.get("type") == "sample":
                live.append(message)
        return live

    async def request_history(self, before_seq: int, limit: int) -> list[dict]:
        """Asks for up to `limit` samples older than `before_seq` and returns them.

        The reply is one or more `history` messages of kind `reply` carrying
        the request's `id`, the last marked `last`; live samples and other
        batches may come before it and are applied as usual.
        """
        assert self._socket is not None, "connect first"
        self._next_id += 1
        request_id = self._next_id
        await self._socket.send(
            json.dumps(
                {
                    "type": "history_request",
                    "before_seq": before_seq,
                    "limit": limit,
                    "id": request_id,
                }
            )
        )
        older: list[dict] = []
        while True:
            message = await self.next_message()
            if message.get("type") == "history" and message.get("id") == request_id:
                older.extend(message["samples"])
                if message.get("last"):
                    return older


async def watch(url: str, token: str | None) -> None:
    """Prints one line per live sample, resuming after every disconnect."""
    viewer = Viewer(url, token)
    while True:
        try:
            hello = await viewer.connect()
            print(f"connected to {hello['host']['hostname']}, epoch {hello['epoch']}")
            while True:
                message = await viewer.next_message()
                if message.get("type") == "sample":
                    print(f"seq {message['seq']}: cpu {message['cpu']['total_percent']:.1f} %")
        except (OSError, websockets.ConnectionClosed) as error:
            print(f"disconnected ({error}); resuming in 1 s", file=sys.stderr)
            viewer._socket = None
            await asyncio.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the stream, e.g. ws://127.0.0.1:9470/ws")
    parser.add_argument("--token-file", help="file holding the server's bearer token")
    args = parser.parse_args()
    token = None
    if args.token_file:
        with open(args.token_file, encoding="utf-8") as file:
            token = file.read().strip()
    asyncio.run(watch(args.url, token))


if __name__ == "__main__":
    main()
