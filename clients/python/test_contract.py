"""The contract, checked by validators that are not HostPulse's own code.

Python's `jsonschema` validates the golden vectors of shared/tests/golden/
and the messages of a real server (its stream and its REST answers, errors
included) against the committed schemas in shared/contract/; the reference
client in hostpulse_client.py connects, follows, resumes and asks for history
against the same server. The server binary is the one `cargo test` built,
named by HOSTPULSE_SERVER (scripts/test.sh sets it).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema
import msgpack
import pytest
import websockets

from hostpulse_client import Viewer

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "shared" / "contract"
GOLDEN = ROOT / "shared" / "tests" / "golden"


def load(name: str) -> dict:
    return json.loads((CONTRACT / name).read_text(encoding="utf-8"))


SERVER_SCHEMA = load("server-message.schema.json")
CLIENT_SCHEMA = load("client-message.schema.json")
ERROR_SCHEMA = load("http-error.schema.json")
RANGE_SCHEMA = load("range.schema.json")


def validator(schema: dict, definition: str | None = None) -> jsonschema.Draft7Validator:
    """A draft-07 validator for the whole schema or one of its definitions."""
    if definition is not None:
        schema = {"$ref": f"#/definitions/{definition}", "definitions": schema["definitions"]}
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def assert_valid(schema_validator: jsonschema.Draft7Validator, instance: object, what: str) -> None:
    errors = sorted(schema_validator.iter_errors(instance), key=str)
    assert not errors, f"{what} breaks the contract: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )


# --- golden vectors -----------------------------------------------------------


def golden_names() -> list[str]:
    return sorted(p.name.removesuffix(".json") for p in GOLDEN.glob("*.json"))


def golden_validator(name: str) -> jsonschema.Draft7Validator:
    """The schema a golden vector belongs to, by its file name."""
    if name in ("history_request", "history_range_request", "processes_request"):
        return validator(CLIENT_SCHEMA)
    if name == "range_request":
        return validator(RANGE_SCHEMA, "RangeRequest")
    if name == "history_range_body":
        return validator(RANGE_SCHEMA, "HistoryRange")
    return validator(SERVER_SCHEMA)


@pytest.mark.parametrize("name", golden_names())
def test_every_golden_vector_follows_the_contract_in_both_encodings(name: str) -> None:
    check = golden_validator(name)
    as_json = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    assert_valid(check, as_json, f"{name}.json")
    packed = bytes.fromhex((GOLDEN / f"{name}.msgpack.hex").read_text(encoding="utf-8").strip())
    as_msgpack = msgpack.unpackb(packed, raw=False)
    assert_valid(check, as_msgpack, f"{name}.msgpack.hex")


def test_the_contract_refuses_what_breaks_it() -> None:
    check = validator(CLIENT_SCHEMA)
    assert_valid(check, {"type": "history_request", "before_seq": 100, "limit": 60}, "a request")
    # Integers must be integers (PROTOCOL.md: 5.0 is refused with 1007).
    assert list(check.iter_errors({"type": "history_request", "before_seq": 100, "limit": 5.5}))
    assert list(check.iter_errors({"type": "history_request", "before_seq": -1, "limit": 5}))
    assert list(check.iter_errors({"type": "history_request", "limit": 5}))
    sample = json.loads((GOLDEN / "sample.json").read_text(encoding="utf-8"))
    del sample["memory"]
    assert list(validator(SERVER_SCHEMA).iter_errors(sample)), "a sample without memory passed"


# --- a real server -------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    """A hostpulse-server on a free loopback port, sampling every 100 ms; stopped by PID."""
    binary = os.environ.get("HOSTPULSE_SERVER")
    assert binary and Path(binary).is_file(), (
        "set HOSTPULSE_SERVER to a built hostpulse-server binary "
        "(scripts/test.sh does: target/debug/hostpulse-server)"
    )
    data_dir = tempfile.TemporaryDirectory(prefix="hostpulse-contract-")
    process = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1:0",
            "--interval-ms",
            "100",
            "--history",
            "600",
            "--data-dir",
            data_dir.name,
        ],
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
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        data_dir.cleanup()


def http(method: str, url: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/ws"


def test_a_live_stream_follows_the_contract_and_the_reference_client_follows_it(server) -> None:
    async def scenario() -> Viewer:
        viewer = Viewer(ws_url(server))
        await viewer.connect()
        await viewer.follow(live_samples=3)
        await viewer.close()
        return viewer

    viewer = asyncio.run(scenario())
    check = validator(SERVER_SCHEMA)
    for message in viewer.messages:
        assert_valid(check, message, f"a live {message.get('type')}")
    kinds = [m["type"] for m in viewer.messages]
    assert kinds[0] == "hello" and kinds[1] == "history", kinds
    seqs = sorted(viewer.samples)
    assert seqs == list(range(seqs[0], seqs[-1] + 1)), f"gap in {seqs}"


def test_the_reference_client_resumes_after_a_disconnect_without_a_gap(server) -> None:
    async def scenario() -> tuple[Viewer, int]:
        viewer = Viewer(ws_url(server))
        await viewer.connect()
        await viewer.follow(live_samples=2)
        dropped_at = viewer.last_seq
        await viewer.drop()
        await asyncio.sleep(0.5)  # several samples are taken meanwhile
        await viewer.connect()
        await viewer.follow(live_samples=2)
        await viewer.close()
        return viewer, dropped_at

    viewer, dropped_at = asyncio.run(scenario())
    assert not viewer.resets, viewer.resets
    seqs = sorted(viewer.samples)
    assert seqs == list(range(seqs[0], seqs[-1] + 1)), f"gap in {seqs}"
    assert viewer.last_seq > dropped_at + 2, (dropped_at, viewer.last_seq)


def test_a_resume_from_another_epoch_is_answered_with_a_reset(server) -> None:
    async def scenario() -> Viewer:
        viewer = Viewer(ws_url(server), epoch=1, last_seq=5)
        await viewer.connect()
        await viewer.follow(live_samples=1)
        await viewer.close()
        return viewer

    viewer = asyncio.run(scenario())
    assert [r["reason"] for r in viewer.resets] == ["epoch_changed"]
    for message in viewer.messages:
        assert_valid(validator(SERVER_SCHEMA), message, f"a {message.get('type')}")


def test_a_history_request_answers_with_older_samples(server) -> None:
    async def scenario() -> tuple[int, list[dict]]:
        viewer = Viewer(ws_url(server))
        await viewer.connect()
        await viewer.follow(live_samples=5)
        newest = viewer.last_seq
        older = await viewer.request_history(before_seq=newest, limit=3)
        await viewer.close()
        return newest, older

    newest, older = asyncio.run(scenario())
    assert [s["seq"] for s in older] == [newest - 3, newest - 2, newest - 1]
    for sample in older:
        assert_valid(validator(SERVER_SCHEMA, "Sample"), sample, "a requested sample")


def test_the_server_echoes_the_close_code_of_the_viewer(server) -> None:
    async def scenario() -> int | None:
        # No replay in flight: a close that meets a long replay mid-send is
        # not echoed yet (an open point of the close handling).
        viewer = Viewer(ws_url(server) + "?history_secs=0")
        await viewer.connect()
        return await viewer.close(code=4001)

    assert asyncio.run(scenario()) == 4001


def test_the_rest_reads_follow_the_contract(server) -> None:
    status, headers, body = http("GET", server + "/api/v1/host")
    assert status == 200 and headers["content-type"] == "application/json"
    assert_valid(validator(SERVER_SCHEMA, "Hello"), json.loads(body), "/api/v1/host")
    status, _, body = http("GET", server + "/api/v1/snapshot")
    assert status == 200
    assert_valid(validator(SERVER_SCHEMA, "Sample"), json.loads(body), "/api/v1/snapshot")
    status, _, body = http("GET", server + "/api/v1/history?limit=2")
    page = json.loads(body)
    assert status == 200 and len(page["samples"]) == 2
    for sample in page["samples"]:
        assert_valid(validator(SERVER_SCHEMA, "Sample"), sample, "/api/v1/history")


# --- one error shape everywhere -------------------------------------------------

ERRORS = [
    # (method, path, status, the header that must come with it)
    ("GET", "/no/such/path", 404, None),
    ("GET", "/api/v1/nothing", 404, None),
    ("POST", "/", 405, "allow"),
    ("DELETE", "/api/v1/host", 405, "allow"),
    ("PUT", "/healthz", 405, "allow"),
    ("POST", "/metrics", 405, "allow"),
    ("GET", "/ws", 426, "upgrade"),
    ("GET", "/?verbose=1", 400, None),
    ("GET", "/healthz?verbose=1", 400, None),
    ("GET", "/metrics?name=x", 400, None),
    ("GET", "/api/v1/host?pretty=1", 400, None),
    ("GET", "/api/v1/snapshot?pretty=1", 400, None),
    ("GET", "/api/v1/history?limt=5", 400, None),
    ("GET", "/ws?resume=1", 400, None),
]


@pytest.mark.parametrize(("method", "path", "status", "header"), ERRORS)
def test_every_refusal_carries_the_one_json_error_body(server, method, path, status, header) -> None:
    got, headers, body = http(method, server + path)
    assert got == status, (got, body)
    assert headers.get("content-type") == "application/json", headers
    error = json.loads(body)
    assert_valid(validator(ERROR_SCHEMA), error, f"{method} {path}")
    if header is not None:
        assert header in headers, headers
    if header == "allow":
        assert headers["allow"] == "GET, HEAD"
    if "?" in path and status == 400:
        assert error["parameter"] == path.split("?")[1].split("=")[0]


def test_head_answers_as_get_without_a_body(server) -> None:
    status, headers, body = http("HEAD", server + "/healthz")
    assert status == 200 and headers["content-type"] == "application/json"
    assert body == b""
    status, headers, body = http("HEAD", server + "/no/such/path")
    assert status == 404 and headers["content-type"] == "application/json"
    assert body == b""


def test_every_example_in_protocol_md_follows_the_contract() -> None:
    document = (ROOT / "PROTOCOL.md").read_text(encoding="utf-8")
    examples = [block.split("```")[0] for block in document.split("```json\n")[1:]]
    assert examples, "PROTOCOL.md has no JSON examples"
    for example in examples:
        message = json.loads(example)
        schema = CLIENT_SCHEMA if message["type"] == "history_request" else SERVER_SCHEMA
        assert_valid(validator(schema), message, f"the PROTOCOL.md {message['type']} example")
