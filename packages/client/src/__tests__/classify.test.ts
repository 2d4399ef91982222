import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Health, ReloadResult, ResponseEnvelope } from "@recall/protocol";
import { CLIENT_ERROR_CODES, classifyResponse, classifyTransportError } from "../index";

const reload = JSON.stringify({ bundle_id: "b1", changed: false });
const errorBody = (code: string, extra: object = {}) => JSON.stringify({ error: { code, message: `m-${code}`, ...extra } });

describe("classifyResponse", () => {
  it("200 with a valid body is ok, with the parsed value", () => {
    expect(classifyResponse(200, reload, ReloadResult)).toEqual({ class: "ok", value: { bundle_id: "b1", changed: false }, status: 200 });
  });

  it.each([
    [400, errorBody("bad_request", { issues: [{ path: ["limit"] }] }), "bad_request", "bad_request"],
    [400, "", "bad_request", "bad_request"],
    [409, errorBody("reload_in_progress"), "busy", "reload_in_progress"],
    [409, "x", "busy", "reload_in_progress"],
    [503, errorBody("no_bundle"), "unavailable", "no_bundle"],
    [503, errorBody("incompatible_bundle", { sub_code: "corrupt" }), "incompatible", "incompatible_bundle"],
    [422, errorBody("incompatible_bundle"), "incompatible", "incompatible_bundle"],
    [422, errorBody("other"), "internal", CLIENT_ERROR_CODES.unexpectedStatus],
    [503, errorBody("other"), "internal", CLIENT_ERROR_CODES.unexpectedStatus],
    [503, "", "internal", CLIENT_ERROR_CODES.unexpectedStatus],
    [500, errorBody("internal"), "internal", CLIENT_ERROR_CODES.unexpectedStatus],
    [201, reload, "internal", CLIENT_ERROR_CODES.unexpectedStatus],
    [200, "not json", "internal", CLIENT_ERROR_CODES.badResponse],
    [200, JSON.stringify({ bundle_id: 3 }), "internal", CLIENT_ERROR_CODES.badResponse],
  ])("%i %s → %s/%s", (status, body, cls, code) => {
    const r = classifyResponse(status, body, ReloadResult);
    expect(r.class).toBe(cls);
    if (r.class !== "ok") {
      expect(r.error.code).toBe(code);
      expect(r.error.status).toBe(status);
      expect(r.error.message.length).toBeGreaterThan(0);
    }
  });

  it("passes through the sidecar's message, sub_code and issues", () => {
    const r = classifyResponse(503, errorBody("incompatible_bundle", { sub_code: "version_out_of_range" }), Health);
    expect(r).toEqual({
      class: "incompatible",
      error: { code: "incompatible_bundle", message: "m-incompatible_bundle", status: 503, sub_code: "version_out_of_range" },
    });
    const b = classifyResponse(400, errorBody("bad_request", { issues: [{ path: ["text"], message: "too short" }] }), ResponseEnvelope);
    expect(b.class === "bad_request" && b.error.issues).toEqual([{ path: ["text"], message: "too short" }]);
  });

  it("never throws and never answers ok for a body failing the schema, whatever the bytes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.oneof(fc.string(), fc.json()), (status, body) => {
        const r = classifyResponse(status, body, ResponseEnvelope);
        if (r.class === "ok") {
          expect(status).toBe(200);
          expect(ResponseEnvelope.safeParse(JSON.parse(body)).success).toBe(true);
        } else expect(["unavailable", "timeout", "bad_request", "incompatible", "busy", "internal"]).toContain(r.class);
      }),
      { numRuns: 500 },
    );
  });
});

describe("classifyTransportError", () => {
  const err = (code: string) => Object.assign(new Error(code), { code });
  it.each([
    ["ENOENT", false, "unavailable", CLIENT_ERROR_CODES.socketMissing],
    ["ECONNREFUSED", false, "unavailable", CLIENT_ERROR_CODES.connectionRefused],
    ["EACCES", false, "unavailable", CLIENT_ERROR_CODES.socketUnusable],
    ["UND_ERR_SOCKET", false, "unavailable", CLIENT_ERROR_CODES.connectionClosed],
    ["ECONNRESET", false, "unavailable", CLIENT_ERROR_CODES.connectionClosed],
    ["UND_ERR_SOCKET", true, "internal", CLIENT_ERROR_CODES.badResponse],
    ["UND_ERR_DESTROYED", false, "unavailable", CLIENT_ERROR_CODES.clientClosed],
    ["HPE_INVALID_CONSTANT", false, "internal", CLIENT_ERROR_CODES.badResponse],
    ["EWHATEVER", false, "internal", CLIENT_ERROR_CODES.transportError],
  ] as const)("%s (answered: %s) → %s/%s", (code, answered, cls, out) => {
    const r = classifyTransportError(err(code), answered);
    expect(r.class).toBe(cls);
    expect(r.error.code).toBe(out);
  });

  it("reads the code from a wrapped cause", () => {
    const wrapped = new Error("connect failed", { cause: err("ECONNREFUSED") });
    expect(classifyTransportError(wrapped, false).error.code).toBe(CLIENT_ERROR_CODES.connectionRefused);
  });
});
