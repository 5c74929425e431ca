//! The protocol contract: JSON Schemas of every stream message and an AsyncAPI
//! document of the `/ws` channel, generated from the Rust types and committed
//! in `shared/contract/`. This test fails when the types and the committed
//! files differ; a deliberate change regenerates them with
//! `HOSTPULSE_UPDATE_CONTRACT=1 cargo test -p hostpulse-shared --features schema --test contract`
//! and shows in review as a diff. Third-party validators (the Python test in
//! `clients/python/`) read these files, never the Rust code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use std::path::PathBuf;

use hostpulse_shared::range::{HistoryRange, ProcessesAt, RangeRequest};
use hostpulse_shared::{ClientMessage, PROTOCOL_VERSION, ServerMessage, WS_PATH};
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

fn contract_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("contract")
}

/// Draft-07, the JSON Schema dialect AsyncAPI 3 names for its payloads.
fn schema_of<T: schemars::JsonSchema>(id: &str) -> Value {
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = schema.to_value();
    let object = value.as_object_mut().unwrap();
    object.insert("$id".into(), json!(id));
    object.insert(
        "$comment".into(),
        json!(format!(
            "HostPulse protocol v{PROTOCOL_VERSION}, generated from the hostpulse-shared types; \
             do not edit by hand. Numbers: `format` names the width (uint32/uint64 are \
             unsigned integers and must be written without a fraction, float is IEEE 754 \
             single precision, double is double precision). Fields not in `required` may \
             be absent; readers must ignore fields and message types they do not know."
        )),
    );
    value
}

/// The REST bodies of the history on disk (`HistoryRange`, `ProcessesAt`)
/// and a range request's fields (`RangeRequest`) as definitions: no root
/// type, validators point at a definition. The stream's messages carry the
/// same types (`server-message.schema.json`).
fn range_types() -> Value {
    let mut generator = SchemaSettings::draft07().into_generator();
    generator.subschema_for::<RangeRequest>();
    generator.subschema_for::<HistoryRange>();
    generator.subschema_for::<ProcessesAt>();
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "range.schema.json",
        "$comment": "Reads of the history on disk (GET /api/v1/history?from=, GET /api/v1/processes?at=), additive to protocol v1; generated from the hostpulse-shared types, do not edit by hand.",
        "definitions": generator.definitions(),
    })
}

/// The body of every non-2xx HTTP answer (the server's `http/error.rs`, whose
/// unit test pins the same two fields). Written here rather than derived: the
/// type lives in the server, which this crate cannot depend on.
fn http_error() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "http-error.schema.json",
        "title": "HttpError",
        "description": "The body of every non-2xx HTTP answer, as application/json.",
        "type": "object",
        "properties": {
            "error": {
                "description": "A sentence for a person: what is wrong and what to do.",
                "type": "string"
            },
            "parameter": {
                "description": "The query parameter at fault, when one is.",
                "type": "string"
            }
        },
        "required": ["error"]
    })
}

/// The `/ws` channel as AsyncAPI 3.0: who sends what, on which path, in
/// which encodings. Message payloads point into the two schema files.
fn asyncapi() -> Value {
    let payload = |file: &str| {
        json!({
            "schemaFormat": "application/schema+json;version=draft-07",
            "schema": { "$ref": file }
        })
    };
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "HostPulse stream",
            "version": format!("{PROTOCOL_VERSION}"),
            "description": "Live host samples over WebSocket. PROTOCOL.md is the prose \
                description; this document and the schemas beside it are generated from \
                the server's types. Within protocol version 1 changes are additive only: \
                new optional fields and new message types, which readers skip.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9470",
                "protocol": "ws",
                "description": "A HostPulse server (wss when TLS is configured).",
            }
        },
        "channels": {
            "stream": {
                "address": WS_PATH,
                "description": "One WebSocket per viewer. Query parameters: \
                    resume_epoch and resume_after_seq (both or neither) to resume. \
                    Subprotocol `hostpulse.v1.msgpack` switches every frame to MessagePack \
                    (binary frames, the same maps); without it frames are JSON text.",
                "messages": {
                    "server": {
                        "name": "ServerMessage",
                        "title": "A message from the server",
                        "contentType": "application/json",
                        "payload": payload("server-message.schema.json"),
                    },
                    "client": {
                        "name": "ClientMessage",
                        "title": "A control message from the viewer",
                        "contentType": "application/json",
                        "payload": payload("client-message.schema.json"),
                    }
                }
            }
        },
        "operations": {
            "receiveFromServer": {
                "action": "receive",
                "channel": { "$ref": "#/channels/stream" },
                "messages": [{ "$ref": "#/channels/stream/messages/server" }],
            },
            "sendToServer": {
                "action": "send",
                "channel": { "$ref": "#/channels/stream" },
                "messages": [{ "$ref": "#/channels/stream/messages/client" }],
            }
        }
    })
}

/// Every contract file, by name, as it must be on disk.
fn contract_files() -> Vec<(&'static str, Value)> {
    vec![
        (
            "server-message.schema.json",
            schema_of::<ServerMessage>("server-message.schema.json"),
        ),
        (
            "client-message.schema.json",
            schema_of::<ClientMessage>("client-message.schema.json"),
        ),
        ("range.schema.json", range_types()),
        ("http-error.schema.json", http_error()),
        ("asyncapi.json", asyncapi()),
    ]
}

#[test]
fn the_committed_contract_matches_the_types() {
    let update = std::env::var_os("HOSTPULSE_UPDATE_CONTRACT").is_some();
    for (name, value) in contract_files() {
        let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
        let path = contract_dir().join(name);
        if update {
            std::fs::create_dir_all(contract_dir()).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let committed =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            committed == text,
            "{name} differs from the types: if the change is deliberate, run \
             HOSTPULSE_UPDATE_CONTRACT=1 cargo test -p hostpulse-shared --features schema \
             --test contract and commit the diff"
        );
    }
}

#[test]
fn the_schemas_state_float_widths_and_integer_types() {
    let server = schema_of::<ServerMessage>("server-message.schema.json");
    let defs = &server["definitions"];
    let cpu = &defs["CpuSample"]["properties"];
    assert_eq!(cpu["total_percent"]["format"], "float", "{cpu}");
    assert_eq!(defs["LoadAverage"]["properties"]["one"]["format"], "double");
    let sample = &defs["Sample"]["properties"];
    assert_eq!(sample["seq"]["type"], "integer");
    assert_eq!(sample["seq"]["format"], "uint64");
    let client = schema_of::<ClientMessage>("client-message.schema.json");
    let text = client.to_string();
    assert!(text.contains("\"before_seq\""), "{text}");
    // `limit` is a u64: any whole number is accepted and capped at the history.
    assert!(text.contains("\"uint64\""), "{text}");
    assert!(!text.contains("\"double\""), "{text}");
}
