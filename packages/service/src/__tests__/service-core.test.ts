import { afterEach, describe, expect, it } from "vitest";
import { ServiceCore } from "../service-core";
import type { ServiceHooks, ServiceOptions, StatusSnapshot } from "../types";
import { API_KEY, ManualClock, envelope, fakeParts, health, options, recorder, unreachable, until, untilTicking } from "./fakes";

const intent = { text: "what did we decide about the cache" };
const started: ServiceCore[] = [];

function make(over: Partial<ServiceOptions> = {}, hooks: ServiceHooks = {}) {
  const { parts, made } = fakeParts();
  const rec = recorder();
  // Every unit test runs on the injected clock: the service's sleeps end only when the test advances it.
  const clock = new ManualClock();
  const svc = new ServiceCore(options(over), { parts, audit: rec.audit, logger: rec.logger, hooks, clock });
  started.push(svc);
  return { svc, made, rec, clock };
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

describe("start gates", () => {
  it("provider disabled → disabled, nothing created, queries unavailable, pullNow disabled", async () => {
    const { svc, made, rec } = make({ provider: "disabled" });
    await svc.start();
    expect(svc.status).toBe("disabled");
    expect(made.order).toEqual([]);
    expect(rec.events).toEqual([]);
    const q = await svc.query(intent);
    expect(q.class).toBe("unavailable");
    expect(made.client.calls.query).toBe(0);
    expect(await svc.pullNow()).toEqual({ outcome: "disabled", reason: "provider_disabled" });
  });

  it("spawn mode without a binary → unavailable/binary_missing + memory_tlm_missing", async () => {
    const { svc, made, rec } = make({ tlmPath: "/nope/tlm" });
    made.binaryOk = false;
    await svc.start();
    expect(svc.status).toBe("unavailable");
    expect(svc.snapshot().reason).toBe("binary_missing");
    expect(rec.events).toEqual([{ event: "memory_tlm_missing", fields: { tlm_path_set: true } }]);
    expect(made.order).toEqual([]);
  });

  it("binary gate comes before the cloud gate; tlm_path_set false when empty", async () => {
    const base = options();
    const { svc, made, rec } = make({ provider: "cloud", puller: { ...base.puller, endpoint: "" } });
    made.binaryOk = false;
    await svc.start();
    expect(svc.snapshot().reason).toBe("binary_missing");
    expect(rec.events).toEqual([{ event: "memory_tlm_missing", fields: { tlm_path_set: false } }]);
  });

  it("cloud without key → unavailable/cloud_misconfigured + audit fields", async () => {
    const base = options();
    const { svc, made, rec } = make({ provider: "cloud", puller: { ...base.puller, apiKey: "" } });
    await svc.start();
    expect(svc.status).toBe("unavailable");
    expect(svc.snapshot().reason).toBe("cloud_misconfigured");
    expect(rec.events).toEqual([
      { event: "memory_cloud_misconfigured", fields: { endpoint_resolved: true, api_key_present: false } },
    ]);
    expect(made.order).toEqual([]);
  });

  it("attach mode skips the binary gate and never creates a sidecar", async () => {
    const { svc, made } = make({ mode: "attach" });
    made.binaryOk = false;
    await svc.start();
    await until(() => svc.status === "ready", "ready");
    expect(made.order).toEqual(["recover"]);
    expect(svc.snapshot().sidecar.pid).toBe(4242);
  });
});

describe("spawn mode status machine", () => {
  it("initializing → ready on onReady, restarting on exit, ready again", async () => {
    const restarts: number[] = [];
    const { svc, made } = make({}, { onRestart: () => restarts.push(1) });
    await svc.start();
    expect(svc.status).toBe("initializing");
    const sup = made.supervisor!;
    expect(sup.settings.maxAttempts).toBe(5);
    sup.settings.onReady({ attempts: 0, restarts: 0, detail: { health: health() } });
    expect(svc.status).toBe("ready");
    expect(svc.snapshot().sidecar.ready_since).not.toBeNull();
    expect(svc.snapshot().sidecar.pid).toBe(777);

    sup.settings.onExit({ code: null, signal: "SIGKILL" }, { wasReady: true, attempts: 0, restarts: 0 });
    const snap = svc.snapshot();
    expect(snap.status).toBe("initializing");
    expect(snap.detail).toMatchObject({ restarting: true, exit_signal: "SIGKILL" });
    expect(snap.sidecar.pid).toBeNull();
    expect(snap.sidecar.ready_since).toBeNull();
    expect(restarts).toHaveLength(1);
    const q = await svc.query(intent);
    expect(q).toMatchObject({ class: "unavailable", error: { code: "not_ready" } });
    expect(made.client.calls.query).toBe(0);

    sup.restarts = 1;
    sup.settings.onReady({ attempts: 1, restarts: 1 });
    await until(() => svc.status === "ready", "ready after restart");
    expect(svc.snapshot().sidecar.restarts).toBe(1);
  });

  it("a sidecar without a bundle is unavailable/no_bundle until health turns ready", async () => {
    const { svc, made, clock } = make();
    await svc.start();
    made.client.healthAnswer = {
      class: "ok",
      value: health({ ready: false, compatibility: "unknown", bundle_id: null }),
      status: 200,
    };
    made.supervisor!.settings.onReady({ attempts: 0, restarts: 0 });
    await until(() => svc.snapshot().reason === "no_bundle", "no_bundle");
    expect(svc.status).toBe("unavailable");
    made.client.healthAnswer = { class: "ok", value: health(), status: 200 };
    const probes = made.client.calls.health;
    await untilTicking(clock, 10, () => svc.status === "ready", "ready once a bundle appears");
    expect(made.client.calls.health).toBeGreaterThan(probes);
  });

  it("degraded → status + memory_sidecar_degraded with scalar detail only", async () => {
    const { svc, made, rec } = make();
    await svc.start();
    made.supervisor!.settings.onDegraded("repeated_crash", 5, {
      exit: { code: 1, signal: null },
      output: ["secret stuff"],
      uptime_ms: 3,
    });
    expect(svc.status).toBe("degraded");
    const snap = svc.snapshot();
    expect(snap.reason).toBe("repeated_crash");
    expect(snap.detail).toEqual({ attempts: 5, exit_code: 1, exit_signal: null, uptime_ms: 3 });
    expect(rec.events).toContainEqual({
      event: "memory_sidecar_degraded",
      fields: { reason: "repeated_crash", attempts: 5, exit_code: 1, exit_signal: null, uptime_ms: 3 },
    });
    expect(JSON.stringify(rec.events)).not.toContain("secret stuff");
  });

  it("a degraded health body is reduced to bundle and schema fields", async () => {
    const { svc, made, rec } = make();
    await svc.start();
    made.supervisor!.settings.onDegraded("binary_too_old", 0, {
      sub_code: "version_out_of_range",
      health: health({ ready: false, compatibility: "incompatible", schema_version: "2.0.0" }),
    });
    expect(rec.events[0]!.fields).toEqual({
      reason: "binary_too_old",
      attempts: 0,
      sub_code: "version_out_of_range",
      bundle_id: "b1",
      schema_version: "2.0.0",
      supported_schema: "^1.0.0",
    });
  });

  it("self-heal in local mode: attempt then failed no_remote", async () => {
    const { svc, made, rec } = make();
    await svc.start();
    await made.supervisor!.settings.onIncompatible();
    expect(rec.names()).toEqual(["memory_self_heal_attempt", "memory_self_heal_failed"]);
    expect(rec.events[1]!.fields).toEqual({ reason: "no_remote" });
    expect(made.puller.ticks).toBe(0);
  });

  it("a supervisor that rejects leaves the service degraded/internal", async () => {
    const { parts } = fakeParts({
      createSupervisor: () => ({
        run: () => Promise.reject(new Error(`boom ${API_KEY}`)),
        snapshot: () => ({ restarts: 0, attempts: 0, state: "idle" }),
      }),
    });
    const rec = recorder();
    const svc = new ServiceCore(options(), { parts, logger: rec.logger, clock: new ManualClock() });
    started.push(svc);
    await svc.start();
    await until(() => svc.status === "degraded", "degraded");
    expect(svc.snapshot().reason).toBe("internal");
    expect(rec.lines.join("\n")).not.toContain(API_KEY);
    expect(rec.lines.join("\n")).toContain("[redacted]");
  });
});

describe("cloud mode", () => {
  const cloud = (over: Partial<ServiceOptions> = {}, hooks: ServiceHooks = {}) =>
    make({ provider: "cloud", ...over }, hooks);

  it("no valid current → bootstrap pull before the supervisor; audit ok; onPull measured", async () => {
    const pulls: { o: unknown; bytes: number }[] = [];
    const { svc, made, rec } = make({ provider: "cloud" }, { onPull: (o, m) => pulls.push({ o, bytes: m.bytes }) });
    made.validCurrent = false;
    await svc.start();
    expect(made.order).toEqual(["recover", "puller", "tick", "sidecar", "supervisor"]);
    expect(rec.events[0]).toMatchObject({
      event: "memory_bootstrap_pull_ok",
      fields: { outcome: "installed", bundle_id: "b1", schema_version: "1.0.0" },
    });
    expect(pulls).toEqual([{ o: { outcome: "installed", bundle_id: "b1", schema_version: "1.0.0" }, bytes: 1234 }]);
    expect(made.pullerOptions).toMatchObject({ bundleRoot: "/tmp/recall-test/bundles", apiKey: API_KEY });
  });

  it("a valid current skips the bootstrap", async () => {
    const { svc, made, rec } = cloud();
    await svc.start();
    expect(made.puller.ticks).toBe(0);
    expect(rec.events).toEqual([]);
  });

  it("a failed bootstrap is audited with its reason and the sidecar still starts", async () => {
    const { svc, made, rec } = cloud();
    made.validCurrent = false;
    made.puller.tickAnswer = { outcome: "failed", reason: "unauthorized", message: "401 from server" };
    await svc.start();
    expect(rec.events[0]).toEqual({
      event: "memory_bootstrap_pull_failed",
      fields: { outcome: "failed", reason: "unauthorized", duration_ms: expect.any(Number) },
    });
    expect(made.supervisor).not.toBeNull();
    made.supervisor!.settings.onReady({ attempts: 0, restarts: 0 });
    await until(() => made.puller.schedules.length === 1, "schedule");
    expect(made.puller.schedules[0]!.bootstrap).toBe(true);
  });

  it("the bootstrap pull is bounded by its deadline", async () => {
    const { svc, made, rec, clock } = cloud({ bootstrapTimeoutMs: 30 });
    made.validCurrent = false;
    made.puller.hangTick = true;
    const starting = svc.start();
    await until(() => made.puller.ticks === 1, "bootstrap tick");
    clock.advance(29);
    await until(() => clock.pending === 1, "the deadline still pending");
    expect(made.supervisor).toBeNull();
    clock.advance(1);
    await starting;
    expect(rec.events[0]).toMatchObject({
      event: "memory_bootstrap_pull_failed",
      fields: { reason: "bootstrap_timeout" },
    });
    expect(made.supervisor).not.toBeNull();
  });

  it("the pull schedule starts on the first ready, once", async () => {
    const { svc, made } = cloud();
    await svc.start();
    expect(made.puller.schedules).toHaveLength(0);
    const sup = made.supervisor!;
    sup.settings.onReady({ attempts: 0, restarts: 0, detail: { health: health() } });
    sup.settings.onExit({ code: 1, signal: null }, { wasReady: true, attempts: 0, restarts: 0 });
    sup.settings.onReady({ attempts: 1, restarts: 1, detail: { health: health() } });
    expect(made.puller.schedules).toHaveLength(1);
    expect(made.puller.schedules[0]!.bootstrap).toBe(false);
  });

  it("self-heal pulls once: ok when installed, failed otherwise", async () => {
    const { svc, made, rec } = cloud();
    await svc.start();
    await made.supervisor!.settings.onIncompatible();
    expect(rec.names()).toEqual(["memory_self_heal_attempt", "memory_self_heal_ok"]);
    made.puller.tickAnswer = { outcome: "unchanged" };
    await made.supervisor!.settings.onIncompatible();
    expect(rec.events.at(-1)).toEqual({ event: "memory_self_heal_failed", fields: { outcome: "unchanged" } });
    expect(made.puller.ticks).toBe(2);
  });

  it("degraded binary_too_old keeps pulling; a new bundle restarts the supervisor", async () => {
    const { svc, made } = cloud();
    await svc.start();
    const sup = made.supervisor!;
    expect(sup.runs).toBe(1);
    sup.degrade("binary_too_old", 1, { sub_code: "version_out_of_range" });
    expect(svc.snapshot()).toMatchObject({ status: "degraded", reason: "binary_too_old" });
    expect(made.puller.schedules).toHaveLength(1);
    made.puller.tickAnswer = { outcome: "installed", bundle_id: "b9", schema_version: "1.1.0" };
    await svc.pullNow();
    await until(() => sup.runs === 2, "second supervisor run");
    expect(svc.snapshot()).toMatchObject({ status: "initializing", reason: "new_bundle" });
    sup.settings.onReady({ attempts: 0, restarts: 0, detail: { health: health() } });
    expect(svc.status).toBe("ready");
  });

  it("an unchanged pull while degraded does not restart the supervisor", async () => {
    const { svc, made } = cloud();
    await svc.start();
    made.supervisor!.degrade("binary_too_old", 1, {});
    made.puller.tickAnswer = { outcome: "unchanged" };
    await svc.pullNow();
    expect(made.supervisor!.runs).toBe(1);
    expect(svc.status).toBe("degraded");
  });

  it("pullNow runs one pull and reports it to onPull", async () => {
    const pulls: unknown[] = [];
    const { svc, made } = cloud({}, { onPull: (o) => pulls.push(o) });
    await svc.start();
    made.puller.tickAnswer = { outcome: "unchanged" };
    expect(await svc.pullNow()).toEqual({ outcome: "unchanged" });
    expect(made.puller.pullNows).toBe(1);
    expect(pulls).toEqual([{ outcome: "unchanged" }]);
  });

  it("never puts the API key in an audit event, log line, status or hook", async () => {
    const statuses: StatusSnapshot[] = [];
    const { svc, made, rec } = cloud({}, { onStatus: (s) => statuses.push(s) });
    made.validCurrent = false;
    made.puller.tickAnswer = { outcome: "failed", reason: "unauthorized", message: `bad key ${API_KEY}` };
    await svc.start();
    made.supervisor!.settings.onReady({ attempts: 0, restarts: 0, detail: { health: health() } });
    await made.supervisor!.settings.onIncompatible();
    made.supervisor!.settings.onDegraded("binary_too_old", 1, { note: "x" });
    await svc.query(intent);
    await svc.stop();
    const all = JSON.stringify([rec.events, rec.lines, statuses, svc.snapshot()]);
    expect(statuses.length).toBeGreaterThan(2);
    expect(all).not.toContain(API_KEY);
  });
});

describe("queries", () => {
  it("ready → client query with the default timeout; a caller timeout wins", async () => {
    const classes: string[] = [];
    const { svc, made } = make({ requestTimeoutMs: 1234 }, { onQuery: (c) => classes.push(c) });
    await svc.start();
    made.supervisor!.settings.onReady({ attempts: 0, restarts: 0, detail: { health: health() } });
    expect(await svc.query(intent)).toEqual({ class: "ok", envelope });
    expect(made.client.lastQueryTimeout).toBe(1234);
    await svc.query(intent, { timeoutMs: 50 });
    expect(made.client.lastQueryTimeout).toBe(50);
    expect(classes).toEqual(["ok", "ok"]);
  });

  it("an unavailable answer while ready re-checks health and leaves ready", async () => {
    const { svc, made } = make();
    await svc.start();
    made.supervisor!.settings.onReady({ attempts: 0, restarts: 0, detail: { health: health() } });
    const before = made.client.calls.health;
    made.client.queryAnswer = unreachable;
    made.client.healthAnswer = unreachable;
    const q = await svc.query(intent);
    expect(q.class).toBe("unavailable");
    await until(() => svc.status === "unavailable", "unavailable after re-check");
    expect(made.client.calls.health).toBeGreaterThan(before);
    expect(svc.snapshot().reason).toBe("sidecar_unreachable");
    const again = await svc.query(intent);
    expect(again.class).toBe("unavailable");
    expect(made.client.calls.query).toBe(1);
  });

  it("not ready + fallback → envelope from the fallback, limited, with a reason", async () => {
    const result = (i: number) => ({
      id: `r${i}`,
      text: "t",
      kind: "note",
      entities: [],
      created_at: "2026-01-01T00:00:00Z",
      score: 1,
    });
    const seen: unknown[] = [];
    const { svc } = make({
      fallback: (i) => {
        seen.push(i);
        return [result(1), result(2), result(3)];
      },
    });
    const q = await svc.query({ text: "x", limit: 2 });
    expect(q.class).toBe("unavailable");
    expect(q.envelope).toMatchObject({
      source: "fallback",
      evidence_quality: "text_search",
      fallback_reason: "not_started",
      truncated: true,
      bundle_id: null,
    });
    expect(q.envelope!.results.map((r) => r.id)).toEqual(["r1", "r2"]);
    expect(seen).toEqual([{ text: "x", limit: 2 }]);
  });

  it("a fallback that throws gives plain unavailable", async () => {
    const { svc } = make({
      fallback: () => {
        throw new Error("fallback down");
      },
    });
    const q = await svc.query(intent);
    expect(q.class).toBe("unavailable");
    expect(q.envelope).toBeUndefined();
  });

  it("a sidecar unavailable answer uses the fallback too", async () => {
    const { svc, made } = make({ fallback: () => [] });
    await svc.start();
    made.supervisor!.settings.onReady({ attempts: 0, restarts: 0, detail: { health: health() } });
    made.client.queryAnswer = { class: "unavailable", error: { code: "no_bundle", message: "no bundle" } };
    const q = await svc.query(intent);
    expect(q.envelope).toMatchObject({ source: "fallback", fallback_reason: "sidecar_no_bundle" });
  });

  it("a bad timeout is bad_request; a client that throws gives internal, never a rejection", async () => {
    const { svc, made } = make();
    await svc.start();
    made.supervisor!.settings.onReady({ attempts: 0, restarts: 0, detail: { health: health() } });
    expect((await svc.query(intent, { timeoutMs: 0 })).class).toBe("bad_request");
    expect((await svc.query(intent, { timeoutMs: Number.NaN })).class).toBe("bad_request");
    made.client.query = () => Promise.reject(new Error("bug"));
    expect(await svc.query(intent)).toEqual({
      class: "internal",
      error: { code: "internal", message: "query failed unexpectedly" },
    });
  });

  it("other error classes pass through without fallback", async () => {
    const { svc, made } = make({ fallback: () => [] });
    await svc.start();
    made.supervisor!.settings.onReady({ attempts: 0, restarts: 0, detail: { health: health() } });
    made.client.queryAnswer = { class: "timeout", error: { code: "timeout", message: "deadline" } };
    expect(await svc.query(intent)).toEqual({ class: "timeout", error: { code: "timeout", message: "deadline" } });
  });
});

describe("attach mode", () => {
  it("probes until the sidecar appears, then is ready exactly while health is ready", async () => {
    const { svc, made, clock } = make({ mode: "attach" });
    made.client.healthAnswer = unreachable;
    await svc.start();
    await until(() => svc.snapshot().reason === "sidecar_unreachable", "unreachable");
    const probes = made.client.calls.health;
    // Between probes the loop sleeps attachProbeIntervalMs (10 ms) on the injected clock: no probe until it moves.
    await until(() => clock.pending === 1, "the probe loop asleep");
    expect(made.client.calls.health).toBe(probes);
    clock.advance(10);
    await until(() => made.client.calls.health === probes + 1, "a probe after one interval");
    await untilTicking(clock, 10, () => made.client.calls.health > probes + 1, "periodic probes");
    made.client.healthAnswer = { class: "ok", value: health(), status: 200 };
    await untilTicking(clock, 10, () => svc.status === "ready", "ready");
    const settled = made.client.calls.health;
    expect((await svc.query(intent)).class).toBe("ok");
    made.client.queryAnswer = unreachable;
    made.client.healthAnswer = { class: "ok", value: health({ ready: false, compatibility: "incompatible" }), status: 200 };
    expect((await svc.query(intent)).class).toBe("unavailable");
    await until(() => svc.snapshot().reason === "incompatible_bundle", "incompatible");
    expect(made.client.calls.health).toBeGreaterThan(settled);
  });
});

describe("local pullNow", () => {
  it("asks the sidecar to reload", async () => {
    const { svc, made } = make();
    await svc.start();
    expect(await svc.pullNow()).toEqual({ outcome: "reloaded", bundle_id: "b2", changed: true });
    expect(made.client.calls.reload).toBe(1);
  });
});

describe("snapshot and hooks", () => {
  it("has the docs/status.md shape with bundle and last_pull from the bundle root", async () => {
    const { svc } = make({ version: "1.2.3" });
    await svc.start();
    expect(svc.snapshot()).toEqual({
      version: "1.2.3",
      provider: "local",
      mode: "spawn",
      status: "initializing",
      reason: null,
      detail: {},
      sidecar: { pid: null, restarts: 0, ready_since: null },
      bundle: { bundle_id: "b1", schema_version: "1.0.0", installed_at: "2026-11-26T08:00:00.000Z", expires_at: null, expired: false },
      last_pull: { at: "2026-11-26T08:00:00.000Z", outcome: "installed", error: null },
    });
  });

  it("a throwing hook does not break the service", async () => {
    const { svc, made } = make(
      {},
      {
        onStatus: () => {
          throw new Error("hook");
        },
        onQuery: () => {
          throw new Error("hook");
        },
      },
    );
    await svc.start();
    made.supervisor!.settings.onReady({ attempts: 0, restarts: 0, detail: { health: health() } });
    expect(svc.status).toBe("ready");
    expect((await svc.query(intent)).class).toBe("ok");
  });
});

describe("stop", () => {
  it("is idempotent and concurrent-safe; aborts the supervisor, shuts the sidecar, closes the client", async () => {
    const { svc, made } = make();
    await svc.start();
    const a = svc.stop();
    const b = svc.stop();
    expect(a).toBe(b);
    await a;
    await svc.stop();
    expect(made.supervisor!.signal!.aborted).toBe(true);
    expect(made.sidecar.shutdowns).toBe(1);
    expect(made.client.calls.close).toBe(1);
    expect(svc.snapshot()).toMatchObject({ status: "unavailable", reason: "stopped" });
    expect((await svc.query(intent)).class).toBe("unavailable");
    expect(await svc.pullNow()).toEqual({ outcome: "disabled", reason: "stopped" });
  });

  it("stop during a hanging bootstrap aborts it and never starts the supervisor", async () => {
    const { svc, made } = make({ provider: "cloud" });
    made.validCurrent = false;
    made.puller.hangTick = true;
    const starting = svc.start();
    await until(() => made.puller.ticks === 1, "bootstrap tick");
    await svc.stop();
    await starting;
    expect(made.supervisor).toBeNull();
    expect(svc.status).toBe("unavailable");
  });

  it("start after stop does nothing", async () => {
    const { svc, made } = make();
    await svc.stop();
    await svc.start();
    expect(made.order).toEqual([]);
  });
});
