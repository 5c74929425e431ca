//! The protocol contract: JSON Schemas of every stream message, an AsyncAPI
//! document of the `/ws` channel and an OpenAPI document of the HTTP paths,
//! generated from the Rust types and committed in `shared/contract/`. This test fails when the types and the committed
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
use hostpulse_shared::rest::{AlertHistory, Health, HistoryPage, HttpError, WsTicket};
use hostpulse_shared::{
    AlertsSummary, ClientMessage, Hello, PROTOCOL_VERSION, Sample, ServerMessage, WS_PATH,
};
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
                "description": "One WebSocket per viewer. Subprotocol \
                    `hostpulse.v1.msgpack` switches every frame to MessagePack (binary \
                    frames, the same maps); without it frames are JSON text. The \
                    handshake's refusals are in openapi.json, path /ws.",
                "bindings": {
                    "ws": {
                        "method": "GET",
                        "query": {
                            "type": "object",
                            "properties": stream_query_properties(),
                            "additionalProperties": false,
                        },
                        "bindingVersion": "0.1.0",
                    }
                },
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

/// A whole number of the given `format`, with optional bounds.
fn whole(format: &str, minimum: u64, maximum: Option<u64>) -> Value {
    let mut schema = json!({ "type": "integer", "format": format, "minimum": minimum });
    if let Some(maximum) = maximum {
        schema["maximum"] = json!(maximum);
    }
    schema
}

/// One query parameter: its schema, with the sentence that says what it does.
fn parameter(description: &str, schema: Value) -> Value {
    let mut schema = schema;
    schema["description"] = json!(description);
    schema
}

/// The query parameters of `/ws`, for the AsyncAPI binding and the OpenAPI
/// path alike. The server refuses any other (400, naming it).
fn stream_query_properties() -> Value {
    json!({
        "history_secs": parameter(
            "Seconds of past to replay after the hello: 900 by default, 0 for none; \
             more than the server keeps means all of it.",
            whole("uint64", 0, Some(u64::from(u32::MAX))),
        ),
        "resume_epoch": parameter(
            "With resume_after_seq: the epoch of the last sample received.",
            whole("uint64", 0, None),
        ),
        "resume_after_seq": parameter(
            "With resume_epoch: the seq of the last sample received; the replay is \
             exactly the samples after it (or a reset, when that cannot be).",
            whole("uint64", 0, None),
        ),
        "ticket": parameter(
            "For web pages: a ticket from POST /api/v1/ws-ticket, instead of the \
             Authorization header a browser cannot set on a WebSocket. Single use.",
            json!({ "type": "string", "pattern": "^[0-9a-f]{64}$" }),
        ),
    })
}

/// The query parameters of `GET /api/v1/history`.
fn history_query_properties() -> Value {
    json!({
        "since_seq": parameter(
            "Only samples with a seq above this (default: from the oldest kept).",
            whole("uint64", 0, None),
        ),
        "limit": parameter(
            "At most this many, the oldest after since_seq (default 300).",
            whole("uint64", 1, Some(3600)),
        ),
        "latest": parameter(
            "The newest this many instead; not with since_seq or limit.",
            whole("uint64", 1, Some(3600)),
        ),
        "epoch": parameter(
            "Answer only if this is still the server's epoch (409 otherwise): \
             guards a since_seq taken before a restart.",
            whole("uint64", 0, None),
        ),
        "from": parameter(
            "A range read of the history on disk from this moment (RFC 3339, or Unix \
             seconds); not with since_seq, limit, latest or epoch.",
            json!({ "type": "string" }),
        ),
        "to": parameter(
            "With from: the range's end (RFC 3339, or Unix seconds; default: now).",
            json!({ "type": "string" }),
        ),
        "points": parameter(
            "With from: at most this many points per series (default 1000); the \
             finest tier whose step fits answers.",
            whole("uint32", 1, Some(10_000)),
        ),
    })
}

/// The query parameters of `GET /api/v1/processes`.
fn processes_query_properties() -> Value {
    json!({
        "at": parameter(
            "The moment (RFC 3339, or Unix seconds); required.",
            json!({ "type": "string" }),
        ),
    })
}

/// The query parameters of `GET /api/v1/alerts/history`.
fn alert_history_query_properties() -> Value {
    json!({
        "from": parameter(
            "Transitions at or after this Unix time in ms (default: the oldest kept).",
            whole("uint64", 0, None),
        ),
        "to": parameter(
            "Transitions before this Unix time in ms (default: now).",
            whole("uint64", 0, None),
        ),
    })
}

/// OpenAPI parameter objects from a properties map like the ones above.
fn query_parameters(properties: &Value) -> Value {
    let list: Vec<Value> = properties
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, schema)| {
            let mut schema = schema.clone();
            let description = schema.as_object_mut().unwrap().remove("description");
            json!({
                "name": name,
                "in": "query",
                "required": false,
                "description": description,
                "schema": schema,
            })
        })
        .collect();
    json!(list)
}

/// The REST bodies' schemas, generated into `components/schemas` of the
/// OpenAPI document, and a reference to each.
struct Components {
    schemas: serde_json::Map<String, Value>,
    hello: Value,
    sample: Value,
    history: Value,
    range: Value,
    processes: Value,
    alerts: Value,
    alert_history: Value,
    ticket: Value,
    health: Value,
    error: Value,
}

impl Components {
    /// JSON Schema 2020-12, the dialect of OpenAPI 3.1's schema objects.
    fn generate() -> Self {
        let mut generator = SchemaSettings::draft2020_12()
            .with(|settings| settings.definitions_path = "/components/schemas".into())
            .into_generator();
        let hello = generator.subschema_for::<Hello>().to_value();
        let sample = generator.subschema_for::<Sample>().to_value();
        let history = generator.subschema_for::<HistoryPage>().to_value();
        let range = generator.subschema_for::<HistoryRange>().to_value();
        let processes = generator.subschema_for::<ProcessesAt>().to_value();
        let alerts = generator.subschema_for::<AlertsSummary>().to_value();
        let alert_history = generator.subschema_for::<AlertHistory>().to_value();
        let ticket = generator.subschema_for::<WsTicket>().to_value();
        let health = generator.subschema_for::<Health>().to_value();
        let error = generator.subschema_for::<HttpError>().to_value();
        Self {
            schemas: generator.take_definitions(true),
            hello,
            sample,
            history,
            range,
            processes,
            alerts,
            alert_history,
            ticket,
            health,
            error,
        }
    }

    /// A response with a JSON body following `schema`.
    fn body(description: &str, schema: &Value) -> Value {
        json!({
            "description": description,
            "content": { "application/json": { "schema": schema } }
        })
    }

    /// A refusal: the one error body.
    fn refusal(&self, description: &str) -> Value {
        Self::body(description, &self.error)
    }

    /// `responses` plus what every path behind the token may answer.
    fn guarded(&self, mut responses: Value) -> Value {
        let answers = responses.as_object_mut().unwrap();
        answers.insert(
            "400".into(),
            self.refusal("An unknown, repeated or bad query parameter (named in `parameter`)."),
        );
        answers.insert(
            "401".into(),
            self.refusal(
                "The server has a token and the request lacks it \
                 (with `WWW-Authenticate: Bearer realm=\"hostpulse\"`).",
            ),
        );
        answers.insert(
            "429".into(),
            self.refusal(
                "This address presented 10 wrong tokens within a minute; \
                 wait `Retry-After` seconds.",
            ),
        );
        responses
    }

    /// `responses` plus what a path without the token may answer.
    fn open(&self, mut responses: Value) -> Value {
        responses.as_object_mut().unwrap().insert(
            "400".into(),
            self.refusal("A query parameter: this path takes none."),
        );
        responses
    }

    /// A `GET` behind the token.
    fn read(&self, summary: &str, parameters: &Value, responses: Value) -> Value {
        json!({
            "get": {
                "summary": summary,
                "parameters": parameters,
                "security": [{ "bearer": [] }, {}],
                "responses": self.guarded(responses),
            }
        })
    }
}

fn text_body(description: &str, media: &str) -> Value {
    json!({
        "description": description,
        "content": { media: { "schema": { "type": "string" } } }
    })
}

/// The `/api/v1` paths.
fn api_paths(c: &Components) -> Value {
    let body = Components::body;
    json!({
        "/api/v1/host": c.read(
            "The hello's contents, without `type`.",
            &json!([]),
            json!({ "200": body("Host facts, versions, interval.", &c.hello) }),
        ),
        "/api/v1/snapshot": c.read(
            "The newest sample, without `type`.",
            &json!([]),
            json!({
                "200": body("The newest sample.", &c.sample),
                "503": c.refusal(
                    "No sample yet (within one interval of the start), with `Retry-After: 1`."
                ),
            }),
        ),
        "/api/v1/history": c.read(
            "Past samples of the current epoch, oldest first.",
            &query_parameters(&history_query_properties()),
            json!({
                "200": body(
                    "The samples and the epoch they belong to; with `from`, the range's \
                     points per series.",
                    &json!({ "oneOf": [c.history, c.range] }),
                ),
                "409": c.refusal("`epoch` is not the server's epoch any more (it restarted)."),
                "501": c.refusal("A range read from a server that keeps no history on disk."),
                "503": c.refusal("The history on disk could not be read (`Retry-After`)."),
            }),
        ),
        "/api/v1/processes": c.read(
            "The top processes nearest to a moment, from the history on disk.",
            &query_parameters(&processes_query_properties()),
            json!({
                "200": body(
                    "A sample's processes, or those that peaked in that minute or hour.",
                    &c.processes,
                ),
                "501": c.refusal("The server keeps no history on disk."),
                "503": c.refusal("The history on disk could not be read (`Retry-After`)."),
            }),
        ),
        "/api/v1/alerts": c.read(
            "The alert rules in force and what is firing now.",
            &json!([]),
            json!({
                "200": body("Rules and firing alerts (empty lists when alerting is off).", &c.alerts)
            }),
        ),
        "/api/v1/alerts/history": c.read(
            "Alert transitions in a time range, oldest first.",
            &query_parameters(&alert_history_query_properties()),
            json!({ "200": body("The transitions.", &c.alert_history) }),
        ),
        "/api/v1/ws-ticket": {
            "post": {
                "summary": "A single-use ticket for opening /ws from a web page.",
                "security": [{ "bearer": [] }, {}],
                "responses": c.guarded(json!({
                    "200": body(
                        "The ticket, valid for `expires_in_ms` (with `Cache-Control: no-store`).",
                        &c.ticket,
                    ),
                    "403": c.refusal("The request's Origin is not in the server's allowed_origins."),
                    "503": c.refusal("The system's random source failed; try again."),
                })),
            }
        },
    })
}

/// The paths outside `/api/v1`.
fn other_paths(c: &Components) -> Value {
    let body = Components::body;
    json!({
        "/ws": {
            "get": {
                "summary": "The WebSocket stream (asyncapi.json describes its messages).",
                "parameters": query_parameters(&stream_query_properties()),
                "security": [{ "bearer": [] }, {}],
                "responses": c.guarded(json!({
                    "101": { "description": "Switching to the WebSocket protocol." },
                    "403": c.refusal("The request carries an Origin the server does not allow."),
                    "426": c.refusal("A plain GET without `Upgrade: websocket`."),
                    "503": c.refusal(
                        "The server already serves its maximum of viewers (`Retry-After`)."
                    ),
                })),
            }
        },
        "/metrics": {
            "get": {
                "summary": "The newest sample in the Prometheus text format, with \
                    node_exporter's names.",
                "security": [{ "bearer": [] }, {}],
                "responses": c.guarded(json!({
                    "200": text_body(
                        "Prometheus text format 0.0.4.",
                        "text/plain; version=0.0.4; charset=utf-8",
                    ),
                })),
            }
        },
        "/healthz": {
            "get": {
                "summary": "Whether samples flow. Never needs the token.",
                "responses": c.open(json!({
                    "200": body("Samples flow.", &c.health),
                    "503": body("No sample yet, or the newest is too old.", &c.health),
                })),
            }
        },
        "/": {
            "get": {
                "summary": "The server's version and its paths, for a person. \
                    Never needs the token.",
                "responses": c.open(json!({
                    "200": text_body("A plain-text list.", "text/plain; charset=utf-8"),
                })),
            }
        },
    })
}

/// The HTTP paths as OpenAPI 3.1: the REST bodies are generated from the
/// same types as the stream schemas.
fn openapi() -> Value {
    let components = Components::generate();
    let mut paths = api_paths(&components);
    // CORS preflights, on every /api/v1 path: answered before the token
    // check, since a browser sends no credentials with them.
    let preflight = json!({
        "summary": "A CORS preflight, or a plain question for the methods (`Allow`).",
        "responses": {
            "204": {
                "description": "For an origin in allowed_origins: Access-Control-Allow-Origin \
                    (the page's origin), -Allow-Methods, -Allow-Headers (authorization), \
                    -Max-Age; always: Allow."
            },
            "403": components.refusal("A preflight from an origin not in allowed_origins."),
        },
    });
    for operations in paths.as_object_mut().unwrap().values_mut() {
        operations["options"] = preflight.clone();
    }
    let paths = paths
        .as_object()
        .unwrap()
        .clone()
        .into_iter()
        .chain(other_paths(&components).as_object().unwrap().clone())
        .collect::<serde_json::Map<_, _>>();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "HostPulse HTTP",
            "version": format!("{PROTOCOL_VERSION}"),
            "description": "The HTTP paths of a HostPulse server, beside its WebSocket stream \
                (asyncapi.json). PROTOCOL.md is the prose description; this document is \
                generated from the server's types. Every non-2xx answer carries the \
                HttpError body; HEAD is answered as GET without the body; an unknown path \
                is 404 and a method a path does not take is 405 with `Allow`. Pages from \
                the server's allowed_origins get CORS headers on every /api/v1 answer.",
        },
        "servers": [{
            "url": "http://127.0.0.1:9470",
            "description": "A HostPulse server (https when TLS is configured).",
        }],
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The server's token, when it has one (`security` lists \
                        the empty alternative for servers without).",
                }
            },
            "schemas": components.schemas,
        },
        "paths": paths,
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
        (
            "http-error.schema.json",
            schema_of::<HttpError>("http-error.schema.json"),
        ),
        ("asyncapi.json", asyncapi()),
        ("openapi.json", openapi()),
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
