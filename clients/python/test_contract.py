"""The contract, checked by validators that are not HostPulse's own code.

Python's `jsonschema` validates the golden vectors of shared/tests/golden/
and the messages of a real server (its stream and its REST answers, errors
included) against the committed schemas in shared/contract/, and
`openapi-spec-validator` checks the OpenAPI document itself; the reference
client in hostpulse_client.py connects, follows, resumes and asks for history
against the same server. The server binary is the one `cargo test` built,
named by HOSTPULSE_SERVER (scripts/test.sh sets it).
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema
import msgpack
import pytest
import websockets
from openapi_spec_validator import validate as validate_openapi

from hostpulse_client import Viewer
from server_process import running_server

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "shared" / "contract"
GOLDEN = ROOT / "shared" / "tests" / "golden"


def load(name: str) -> dict:
    return json.loads((CONTRACT / name).read_text(encoding="utf-8"))


SERVER_SCHEMA = load("server-message.schema.json")
CLIENT_SCHEMA = load("client-message.schema.json")
ERROR_SCHEMA = load("http-error.schema.json")
RANGE_SCHEMA = load("range.schema.json")
OPENAPI = load("openapi.json")
ASYNCAPI = load("asyncapi.json")


def validator(schema: dict, definition: str | None = None) -> jsonschema.Draft7Validator:
    """A draft-07 validator for the whole schema or one of its definitions."""
    if definition is not None:
        schema = {"$ref": f"#/definitions/{definition}", "definitions": schema["definitions"]}
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def body_validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for one REST body of the OpenAPI document (JSON Schema 2020-12)."""
    return openapi_validator({"$ref": f"#/components/schemas/{name}"})


def openapi_validator(schema: dict) -> jsonschema.Draft202012Validator:
    """A validator for a schema object of the OpenAPI document, whose references
    point into its components."""
    schema = {**schema, "components": OPENAPI["components"]}
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


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


def test_the_openapi_document_is_valid_openapi_3_1() -> None:
    validate_openapi(OPENAPI)
    # The stream's query parameters are the same in both documents.
    binding = ASYNCAPI["channels"]["stream"]["bindings"]["ws"]["query"]["properties"]
    in_openapi = {p["name"] for p in OPENAPI["paths"]["/ws"]["get"]["parameters"]}
    assert set(binding) == in_openapi == {
        "history_secs",
        "resume_epoch",
        "resume_after_seq",
        "ticket",
    }


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
    """A hostpulse-server sampling every 100 ms, without a token, its history
    on disk in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="hostpulse-contract-") as data_dir:
        with running_server(
            "--interval-ms", "100", "--history", "600", "--data-dir", data_dir
        ) as base:
            yield base


def http(
    method: str, url: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
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
    # The replay: history messages of kind replay, up to the one marked last.
    replay = viewer.messages[1 : 1 + [m.get("last") for m in viewer.messages[1:]].index(True) + 1]
    assert all(m["type"] == "history" and m["kind"] == "replay" for m in replay), replay
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
    async def scenario() -> tuple[int, list[dict], Viewer]:
        viewer = Viewer(ws_url(server))
        await viewer.connect()
        await viewer.follow(live_samples=5)
        newest = viewer.last_seq
        older = await viewer.request_history(before_seq=newest, limit=3)
        nothing = await viewer.request_history(before_seq=0, limit=3)
        assert nothing == []
        await viewer.close()
        return newest, older, viewer

    newest, older, viewer = asyncio.run(scenario())
    assert [s["seq"] for s in older] == [newest - 3, newest - 2, newest - 1]
    replies = [m for m in viewer.messages if m.get("type") == "history" and m.get("kind") == "reply"]
    assert [m["id"] for m in replies if m["last"]] == [1, 2], replies
    for message in viewer.messages:
        assert_valid(validator(SERVER_SCHEMA), message, f"a {message.get('type')}")


def test_the_server_echoes_the_close_code_of_the_viewer(server) -> None:
    async def scenario(url: str) -> int | None:
        viewer = Viewer(url)
        await viewer.connect()
        return await viewer.close(code=4001)

    # Closed at once after the hello, while the whole replay (hundreds of
    # samples) is on its way, and with nothing in flight.
    assert asyncio.run(scenario(ws_url(server))) == 4001
    assert asyncio.run(scenario(ws_url(server) + "?history_secs=0")) == 4001


# Every JSON body the HTTP paths answer with, by the OpenAPI schema it follows.
READS = [
    ("GET", "/api/v1/host", "Hello"),
    ("GET", "/api/v1/snapshot", "Sample"),
    ("GET", "/api/v1/history?limit=2", "HistoryPage"),
    ("GET", "/api/v1/history?latest=3", "HistoryPage"),
    ("GET", "/api/v1/history?from=0&points=10", "HistoryRange"),
    ("GET", "/api/v1/alerts", "AlertsSummary"),
    ("GET", "/api/v1/alerts/history?from=0", "AlertHistory"),
    ("POST", "/api/v1/ws-ticket", "WsTicket"),
    ("GET", "/healthz", "Health"),
]


@pytest.mark.parametrize(("method", "path", "schema"), READS)
def test_the_rest_reads_follow_the_contract(server, method, path, schema) -> None:
    status, headers, body = http(method, server + path)
    assert status == 200 and headers["content-type"] == "application/json", (status, body)
    answer = json.loads(body)
    assert_valid(body_validator(schema), answer, path)
    declared = OPENAPI["paths"][path.split("?")[0]][method.lower()]["responses"]["200"]
    declared = declared["content"]["application/json"]["schema"]
    # One schema, or one of several (a history page, or a range read).
    refs = [declared.get("$ref", "")] + [one.get("$ref", "") for one in declared.get("oneOf", [])]
    assert any(ref.endswith("/" + schema) for ref in refs), (schema, declared)


def test_the_history_read_gives_the_newest_and_guards_the_epoch(server) -> None:
    _, _, body = http("GET", server + "/api/v1/snapshot")
    newest = json.loads(body)
    _, _, body = http("GET", server + "/api/v1/history?latest=3")
    page = json.loads(body)
    seqs = [s["seq"] for s in page["samples"]]
    assert len(seqs) == 3 and seqs == sorted(seqs) and seqs[-1] >= newest["seq"], seqs
    status, _, body = http("GET", server + f"/api/v1/history?since_seq=0&epoch={page['epoch']}")
    assert status == 200, body
    status, headers, body = http("GET", server + f"/api/v1/history?since_seq=0&epoch={page['epoch'] + 1}")
    assert status == 409 and headers["content-type"] == "application/json"
    error = json.loads(body)
    assert_valid(body_validator("HttpError"), error, "409")
    assert error["parameter"] == "epoch" and str(page["epoch"]) in error["error"]


def test_every_documented_query_parameter_is_taken(server) -> None:
    """The OpenAPI document's parameters are the ones the server knows: each is
    taken (whatever else the request lacks), and an unknown one is refused."""
    for path, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            if method == "options":
                continue  # a CORS preflight is answered before the query is read
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                value = "0" * 64 if schema.get("type") == "string" else schema.get("minimum", 0)
                status, _, body = http(method.upper(), f"{server}{path}?{parameter['name']}={value}")
                if status == 400:
                    error = json.loads(body)
                    assert "unknown parameter" not in error["error"], (path, parameter["name"], error)
            status, _, body = http(method.upper(), f"{server}{path}?undocumented=1")
            assert status == 400 and json.loads(body)["parameter"] == "undocumented", (path, body)


def test_the_paths_listed_everywhere_are_the_paths_served(server) -> None:
    documented = set(OPENAPI["paths"])
    _, _, body = http("GET", server + "/")
    listed = {line.split()[1] for line in body.decode().splitlines() if line.startswith(("GET ", "POST "))}
    assert listed == documented
    _, _, body = http("GET", server + "/nowhere")
    named = json.loads(body)["error"]
    for path in documented:
        assert re.search(rf"(^|[ ,]){re.escape(path)}(,|\s|$)", named), (path, named)
        method = next(iter(OPENAPI["paths"][path])).upper()
        status, _, _ = http(method, server + path)
        assert status != 404, path


# --- one error shape everywhere -------------------------------------------------

ERRORS = [
    # (method, path, status, a header that must come with it and its value, or None)
    ("GET", "/no/such/path", 404, None),
    ("GET", "/api/v1/nothing", 404, None),
    ("POST", "/", 405, ("allow", "GET, HEAD")),
    ("DELETE", "/api/v1/host", 405, ("allow", "GET, HEAD, OPTIONS")),
    ("PUT", "/healthz", 405, ("allow", "GET, HEAD")),
    ("OPTIONS", "/metrics", 405, ("allow", "GET, HEAD")),
    ("POST", "/metrics", 405, ("allow", "GET, HEAD")),
    ("GET", "/api/v1/ws-ticket", 405, ("allow", "POST, OPTIONS")),
    ("GET", "/ws", 426, ("upgrade", "websocket")),
    ("GET", "/?verbose=1", 400, None),
    ("GET", "/healthz?verbose=1", 400, None),
    ("GET", "/metrics?name=x", 400, None),
    ("GET", "/api/v1/host?pretty=1", 400, None),
    ("GET", "/api/v1/snapshot?pretty=1", 400, None),
    ("GET", "/api/v1/history?limt=5", 400, None),
    ("GET", "/api/v1/history?latest=5&limit=2", 400, None),
    ("GET", "/api/v1/alerts?pretty=1", 400, None),
    ("GET", "/api/v1/alerts/history?since=1", 400, None),
    ("POST", "/api/v1/ws-ticket?for=page", 400, None),
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
        name, value = header
        assert headers.get(name) == value, headers
    if "?" in path and status == 400:
        assert error["parameter"] == path.split("?")[1].split("=")[0]


def test_head_answers_as_get_without_a_body(server) -> None:
    status, headers, body = http("HEAD", server + "/healthz")
    assert status == 200 and headers["content-type"] == "application/json"
    assert body == b""
    status, headers, body = http("HEAD", server + "/no/such/path")
    assert status == 404 and headers["content-type"] == "application/json"
    assert body == b""


def test_every_http_example_in_protocol_md_follows_the_openapi_document() -> None:
    """Each ```http block is a request and its answer: the answer's status is
    one the document gives that path and method, and its body follows the
    schema given for that status. Every path answering JSON has an example."""
    document = (ROOT / "PROTOCOL.md").read_text(encoding="utf-8")
    examples = [block.split("```")[0] for block in document.split("```http\n")[1:]]
    shown = set()
    for example in examples:
        lines = example.splitlines()
        method, target, _ = lines[0].split(" ")
        path = target.split("?")[0]
        answer = next(n for n, line in enumerate(lines) if line.startswith("HTTP/1.1 "))
        status = lines[answer].split(" ")[1]
        rest = lines[answer + 1 :]
        body = "\n".join(rest[rest.index("") + 1 :]).strip() if "" in rest else ""
        what = f"the PROTOCOL.md example of {method} {target}"
        responses = OPENAPI["paths"][path][method.lower()]["responses"]
        assert status in responses, f"{what}: status {status} is not in the contract"
        if body:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert_valid(openapi_validator(schema), json.loads(body), what)
        shown.add((method, path))
    answering_json = {
        (method.upper(), path)
        for path, operations in OPENAPI["paths"].items()
        for method, operation in operations.items()
        if "application/json" in operation["responses"].get("200", {}).get("content", {})
    }
    assert answering_json <= shown, f"no example of {answering_json - shown}"


def test_every_example_in_protocol_md_follows_the_contract() -> None:
    document = (ROOT / "PROTOCOL.md").read_text(encoding="utf-8")
    examples = [block.split("```")[0] for block in document.split("```json\n")[1:]]
    assert examples, "PROTOCOL.md has no JSON examples"
    # Examples under "Viewer → server messages" are a viewer's; the rest a server's.
    viewer_part = document.split("## Viewer → server messages")[1].split("\n## ")[0]
    viewer_examples = {block.split("```")[0] for block in viewer_part.split("```json\n")[1:]}
    for example in examples:
        message = json.loads(example)
        schema = CLIENT_SCHEMA if example in viewer_examples else SERVER_SCHEMA
        assert_valid(validator(schema), message, f"the PROTOCOL.md {message['type']} example")
