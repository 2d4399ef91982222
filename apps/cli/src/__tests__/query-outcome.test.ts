import { describe, expect, it } from "vitest";
import { CLIENT_ERROR_CODES, classifyStatus, classifyTransportError, envelopeProblem } from "@recall/client/lite";
import { EXIT } from "../errors";
import { queryFailure } from "../query-outcome";

// The CLI has no outcome table of its own: it imports @recall/client/lite's.
// Feeding that classifier the transport errors only undici raises, and the
// HTTP parser's HPE_ errors, must give the CLI's documented exit codes.

const qc = { provider: "local", socket_path: "/run/x/memory.sock", client_request_timeout_ms: 2000 };
const err = (code: string) => Object.assign(new Error(`e ${code}`), { code });

describe("recall query outcomes come from @recall/client's one table", () => {
  it.each([
    ["ENOENT", false, "unavailable", CLIENT_ERROR_CODES.socketMissing, EXIT.unavailable],
    ["ECONNREFUSED", false, "unavailable", CLIENT_ERROR_CODES.connectionRefused, EXIT.unavailable],
    ["EACCES", false, "unavailable", CLIENT_ERROR_CODES.socketUnusable, EXIT.unavailable],
    ["ECONNRESET", false, "unavailable", CLIENT_ERROR_CODES.connectionClosed, EXIT.unavailable],
    ["UND_ERR_SOCKET", false, "unavailable", CLIENT_ERROR_CODES.connectionClosed, EXIT.unavailable],
    ["UND_ERR_CLOSED", false, "unavailable", CLIENT_ERROR_CODES.connectionClosed, EXIT.unavailable],
    ["UND_ERR_DESTROYED", false, "unavailable", CLIENT_ERROR_CODES.clientClosed, EXIT.unavailable],
    ["UND_ERR_CLIENT_CLOSED", false, "unavailable", CLIENT_ERROR_CODES.clientClosed, EXIT.unavailable],
    ["UND_ERR_SOCKET", true, "internal", CLIENT_ERROR_CODES.badResponse, EXIT.error],
    ["HPE_INVALID_CONSTANT", false, "internal", CLIENT_ERROR_CODES.badResponse, EXIT.error],
    ["HPE_INVALID_CONTENT_LENGTH", false, "internal", CLIENT_ERROR_CODES.badResponse, EXIT.error],
    ["HPE_HEADER_OVERFLOW", false, "internal", CLIENT_ERROR_CODES.badResponse, EXIT.error],
    ["EWHATEVER", false, "internal", CLIENT_ERROR_CODES.transportError, EXIT.error],
  ] as const)("%s (answered: %s) → %s/%s → exit %i", (code, answered, cls, out, exit) => {
    const r = classifyTransportError(err(code), answered);
    expect([r.class, r.error.code]).toEqual([cls, out]);
    const e = queryFailure(r, qc, false);
    expect(e.exitCode).toBe(exit);
    expect(e.code).toBe(out.toUpperCase());
    if (cls === "unavailable") expect(e.message).toContain(qc.socket_path);
  });

  it("an HTTPParserError without a code (as node:http raises it) is a malformed answer too", () => {
    const e = Object.assign(new Error("Parse Error"), { name: "HTTPParserError" });
    expect(classifyTransportError(e, false).error.code).toBe(CLIENT_ERROR_CODES.badResponse);
  });

  it.each([
    [503, { error: { code: "no_bundle", message: "none" } }, EXIT.unavailable, "no bundle installed"],
    [503, { error: { code: "incompatible_bundle", message: "schema 9" } }, EXIT.unavailable, "cannot be served: schema 9"],
    [409, { error: { code: "reload_in_progress", message: "busy" } }, EXIT.unavailable, "busy"],
    [400, { error: { code: "bad_request", message: "text too long" } }, EXIT.usage, "rejected the query: text too long"],
    [500, { error: { code: "internal", message: "boom" } }, EXIT.error, "sidecar answered 500 (internal: boom)"],
  ] as const)("status %i → exit %i", (status, body, exit, words) => {
    const r = classifyStatus(status, JSON.stringify(body), () => ({ ok: false, where: "(body)" }));
    if (r.class === "ok") throw new Error("expected a failure");
    const e = queryFailure(r, qc, false);
    expect(e.exitCode).toBe(exit);
    expect(e.message).toContain(words);
  });

  it("uses the client's structural envelope check (no copy in the CLI)", () => {
    expect(envelopeProblem({ source: "sidecar", bundle_id: null, took_ms: 1, truncated: false, evidence_quality: "indexed", results: [] })).toBeNull();
    expect(envelopeProblem({ source: "sidecar", bundle_id: null, took_ms: 1, truncated: false, evidence_quality: "vibes", results: [] })).toBe("evidence_quality");
  });
});
