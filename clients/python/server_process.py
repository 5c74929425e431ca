"""A real hostpulse-server for the tests in this folder: started on a free
loopback port, its log drained so it never blocks, stopped by PID. The binary
is the one `cargo test` built, named by HOSTPULSE_SERVER (scripts/test.sh
sets it)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def running_server(*flags: str) -> Iterator[str]:
    """Runs the server with `flags` besides `--bind 127.0.0.1:0`; yields its
    base URL (http://127.0.0.1:PORT)."""
    binary = os.environ.get("HOSTPULSE_SERVER")
    assert binary and Path(binary).is_file(), (
        "set HOSTPULSE_SERVER to a built hostpulse-server binary "
        "(scripts/test.sh does: target/debug/hostpulse-server)"
    )
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1:0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # The server refuses HOSTPULSE_* variables it does not know (this
        # test's own among them): it gets none of them.
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("HOSTPULSE_")},
            "RUST_LOG": "info",
            "NO_COLOR": "1",
        },
    )
    try:
        base = None
        said = []
        assert process.stdout is not None
        for line in process.stdout:
            said.append(line)
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if found:
                base = found.group(1)
                break
        assert base, "the server exited before it said where it listens:\n" + "".join(said)
        # Keep reading its log, so a full pipe never blocks the server.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
