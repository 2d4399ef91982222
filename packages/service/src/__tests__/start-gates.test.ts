import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { ServiceCore } from "../service-core";
import { decideStart, needsBinary, type BinaryProbe, type StartDecision, type StartGateOptions } from "../start-gates";
import type { Provider, ServiceMode, StatusSnapshot } from "../types";
import { ManualClock, fakeParts, options, recorder } from "./fakes";
import { assertProperty } from "@recall/test-utils";

// The start gates of docs/status.md, driven directly: every provider (the empty one too) × mode ×
// binary found/missing × tlm_path set/empty × endpoint set/empty × key set/empty.

const PROVIDERS: (Provider | "")[] = ["", "disabled", "local", "cloud"];
const MODES: ServiceMode[] = ["spawn", "attach"];

/** docs/status.md's gate table, written as the list of gates that fail, in order; the first one wins. */
function expected(o: StartGateOptions, binary: BinaryProbe): StartDecision {
  const failing: StartDecision[] = [];
  if (o.provider === "" || o.provider === "disabled") {
    failing.push({ proceed: false, status: "disabled", reason: "provider_disabled", detail: {} });
  }
  if (o.mode === "spawn" && !binary.ok) {
    const f = { tlm_path_set: o.tlmPath.length > 0 };
    failing.push({ proceed: false, status: "unavailable", reason: "binary_missing", detail: f, audit: { event: "memory_tlm_missing", fields: f } });
  }
  if (o.provider === "cloud" && (o.puller.endpoint.length === 0 || o.puller.apiKey.length === 0)) {
    const f = { endpoint_resolved: o.puller.endpoint.length > 0, api_key_present: o.puller.apiKey.length > 0 };
    failing.push({
      proceed: false,
      status: "unavailable",
      reason: "cloud_misconfigured",
      detail: f,
      audit: { event: "memory_cloud_misconfigured", fields: f },
    });
  }
  return failing[0] ?? { proceed: true, status: "initializing", reason: null, detail: {}, binary: o.mode === "spawn" && binary.ok ? binary.path : null };
}

/** Every category of input, with arbitrary contents for the strings. */
const gateInput = fc.record({
  provider: fc.constantFrom(...PROVIDERS),
  mode: fc.constantFrom(...MODES),
  tlmPath: fc.oneof(fc.constant(""), fc.string({ minLength: 1, maxLength: 40 })),
  endpoint: fc.oneof(fc.constant(""), fc.webUrl()),
  apiKey: fc.oneof(fc.constant(""), fc.string({ minLength: 8, maxLength: 40 }).map((s) => `sk-${s}`)),
  binary: fc.oneof(
    fc.constant<BinaryProbe>({ ok: false }),
    fc.string({ minLength: 1, maxLength: 40 }).map((p): BinaryProbe => ({ ok: true, path: `/opt/${p}` })),
  ),
});

function gateOptions(i: { provider: Provider | ""; mode: ServiceMode; tlmPath: string; endpoint: string; apiKey: string }): StartGateOptions {
  return { provider: i.provider, mode: i.mode, tlmPath: i.tlmPath, puller: { endpoint: i.endpoint, apiKey: i.apiKey } };
}

describe("decideStart (pure)", () => {
  it("every category combination gives exactly the documented status, reason, detail and audit event", () => {
    let n = 0;
    for (const provider of PROVIDERS)
      for (const mode of MODES)
        for (const tlmPath of ["", "/opt/tlm"])
          for (const binary of [{ ok: false }, { ok: true, path: "/usr/bin/tlm" }] as BinaryProbe[])
            for (const endpoint of ["", "https://bundles.example/"])
              for (const apiKey of ["", "sk-live-0123456789"]) {
                const o = gateOptions({ provider, mode, tlmPath, endpoint, apiKey });
                expect(decideStart(o, { binary }), JSON.stringify({ o, binary })).toEqual(expected(o, binary));
                n++;
              }
    expect(n).toBe(4 * 2 * 2 * 2 * 2 * 2);
  });

  it("matches the gate table for arbitrary paths, endpoints and keys", async () => {
    await assertProperty(
      fc.property(gateInput, (i) => {
        const o = gateOptions(i);
        expect(decideStart(o, { binary: i.binary })).toEqual(expected(o, i.binary));
      }),
      500,
    );
  });

  it("an empty provider is disabled: the same decision as provider disabled, with no event", async () => {
    await assertProperty(
      fc.property(gateInput, (i) => {
        const empty = decideStart(gateOptions({ ...i, provider: "" }), { binary: i.binary });
        expect(empty).toEqual(decideStart(gateOptions({ ...i, provider: "disabled" }), { binary: i.binary }));
        expect(empty).toEqual({ proceed: false, status: "disabled", reason: "provider_disabled", detail: {} });
      }),
      200,
    );
  });

  it("reads the binary probe exactly when needsBinary says so", async () => {
    await assertProperty(
      fc.property(gateInput, (i) => {
        const o = gateOptions(i);
        const missing = decideStart(o, { binary: { ok: false } });
        const found = decideStart(o, { binary: { ok: true, path: "/x/tlm" } });
        if (needsBinary(o)) expect(found).not.toEqual(missing);
        else expect(found).toEqual(missing);
      }),
      300,
    );
  });

  it("audit fields are booleans equal to the status detail and never carry the key, path or endpoint", async () => {
    await assertProperty(
      fc.property(gateInput, (i) => {
        const d = decideStart(gateOptions(i), { binary: i.binary });
        const text = JSON.stringify(d.proceed ? { ...d, binary: null } : d);
        for (const secretish of [i.apiKey, i.endpoint, i.tlmPath]) {
          if (secretish.length > 5) expect(text).not.toContain(secretish);
        }
        if (!d.proceed && d.audit) {
          expect(d.audit.fields).toEqual(d.detail);
          for (const v of Object.values(d.audit.fields)) expect(typeof v).toBe("boolean");
        }
      }),
      300,
    );
  });
});

describe("the service applies the gate decision", () => {
  const started: ServiceCore[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });

  it("status, reason, detail and audit events after start() are the decision's; the binary is looked up only when needed", async () => {
    await assertProperty(
      fc.asyncProperty(gateInput, async (i) => {
        const { parts, made } = fakeParts();
        made.binaryOk = i.binary.ok;
        let lookups = 0;
        const resolveBinary = parts.resolveBinary;
        parts.resolveBinary = (p) => {
          lookups++;
          return resolveBinary(p);
        };
        const rec = recorder();
        const seen: StatusSnapshot[] = [];
        const base = options();
        const svc = new ServiceCore(
          options({ provider: i.provider, mode: i.mode, tlmPath: i.tlmPath, puller: { ...base.puller, endpoint: i.endpoint, apiKey: i.apiKey } }),
          { parts, audit: rec.audit, logger: rec.logger, clock: new ManualClock(), hooks: { onStatus: (s) => seen.push(s) } },
        );
        started.push(svc);
        await svc.start();
        const o = gateOptions(i);
        const d = decideStart(o, { binary: i.binary.ok ? { ok: true, path: "/usr/bin/tlm" } : { ok: false } });
        expect(lookups).toBe(needsBinary(o) ? 1 : 0);
        // The first status the service takes is the decision's.
        const first = seen[0]!;
        expect({ status: first.status, reason: first.reason, detail: first.detail }).toEqual({ status: d.status, reason: d.reason, detail: d.detail });
        if (d.proceed) {
          expect(made.order[0]).toBe("recover");
          expect(made.order.includes("sidecar")).toBe(i.mode === "spawn");
          expect(rec.names().filter((e) => e === "memory_tlm_missing" || e === "memory_cloud_misconfigured")).toEqual([]);
        } else {
          const snap = svc.snapshot();
          expect({ status: snap.status, reason: snap.reason, detail: snap.detail }).toEqual({ status: d.status, reason: d.reason, detail: d.detail });
          expect(seen).toHaveLength(1);
          expect(rec.events).toEqual(d.audit ? [d.audit] : []);
          expect(made.order).toEqual([]);
        }
        await svc.stop();
      }),
      100,
    );
  });
});
