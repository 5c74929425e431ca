// HostPulse from a web page: the reference for page writers (PROTOCOL.md,
// "From a web page"). A page's origin must be in the server's
// allowed_origins. A browser cannot set headers on a WebSocket, so with a
// server that has a token the page first asks for a single-use ticket with
// `fetch` (which can send the token), then opens the stream with it within
// ten seconds. A server without a token needs neither.
"use strict";

const HostPulse = {
  /** A single-use ticket for the stream, asked for with the token. */
  async ticket(server, token) {
    const answer = await fetch(new URL("/api/v1/ws-ticket", server), {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
    });
    const body = await answer.json();
    if (!answer.ok) {
      throw new Error(`no ticket (${answer.status}): ${body.error}`);
    }
    return body.ticket;
  },

  /** A REST read (`/api/v1/...`), with the token when there is one. */
  async read(server, token, path) {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const answer = await fetch(new URL(path, server), { headers });
    const body = await answer.json();
    if (!answer.ok) {
      throw new Error(`${path} refused (${answer.status}): ${body.error}`);
    }
    return body;
  },

  /**
   * Opens the stream. `query` adds parameters such as `history_secs`, or
   * `resume_epoch` and `resume_after_seq` to resume. Each call asks for a
   * fresh ticket: a ticket opens one stream, once.
   */
  async connect(server, token, query = {}) {
    const url = new URL("/ws", server);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    for (const [name, value] of Object.entries(query)) {
      url.searchParams.set(name, value);
    }
    if (token) {
      url.searchParams.set("ticket", await HostPulse.ticket(server, token));
    }
    return new WebSocket(url);
  },
};
