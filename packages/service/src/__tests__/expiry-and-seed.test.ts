import { afterEach, describe, expect, it } from "vitest";
import { ServiceCore } from "../service-core";
import { serviceOptionsFromConfig } from "../options";
import type { ServiceHooks, ServiceOptions, StatusSnapshot } from "../types";
import { ManualClock, fakeParts, health, options, recorder, until } from "./fakes";

const started: ServiceCore[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

function make(over: Partial<ServiceOptions> = {}, hooks: ServiceHooks = {}) {
  const { parts, made } = fakeParts();
  const rec = recorder();
  const clock = new ManualClock();
  const svc = new ServiceCore(options(over), { parts, audit: rec.audit, logger: rec.logger, hooks, clock });
  started.push(svc);
  return { svc, made, rec, clock };
}

const T0 = Date.parse("2026-11-26T08:00:00Z");
const EXPIRES = "2026-11-26T09:00:00Z";

async function readyWithExpiry(over: Partial<ServiceOptions> = {}, hooks: ServiceHooks = {}) {
  const m = make(over, hooks);
  m.made.bundleState = {
    current: { bundle_id: "b1", schema_version: "1.0.0", installed_at: "2026-11-26T07:00:00Z", expires_at: EXPIRES },
    state: { last_pull: { at: "2026-11-26T07:00:00Z", outcome: "installed" } },
  };
  await m.svc.start();
  m.made.supervisor!.settings.onReady({ attempts: 1, restarts: 0, detail: { health: health() } });
  await until(() => m.svc.status === "ready", "ready");
  await until(() => m.svc.snapshot().bundle.expires_at === EXPIRES, "bundle info with expires_at");
  return m;
}

describe("expiry while serving: serve-with-warning", () => {
  it("an unexpired bundle shows expires_at, expired false, no event", async () => {
    const { svc, rec, clock } = await readyWithExpiry();
    expect(clock.now()).toBe(T0);
    const s = svc.snapshot();
    expect(s.bundle).toMatchObject({ bundle_id: "b1", expires_at: EXPIRES, expired: false });
    expect(s.detail.bundle_expired).toBeUndefined();
    expect(rec.names()).not.toContain("memory_bundle_expired");
  });

  it("when expires_at passes with no pull at all: status stays ready, /status says expired, audited once, warned", async () => {
    const statuses: StatusSnapshot[] = [];
    const { svc, rec, clock } = await readyWithExpiry({}, { onStatus: (s) => statuses.push(s) });
    clock.advance(3600_000); // exactly expires_at: expired ("at or before now", as the puller rejects)
    await until(() => rec.names().includes("memory_bundle_expired"), "the expiry timer");
    const s = svc.snapshot();
    expect(s.status).toBe("ready");
    expect(s.bundle).toMatchObject({ bundle_id: "b1", expires_at: EXPIRES, expired: true });
    expect(s.detail).toMatchObject({ bundle_expired: true, expires_at: EXPIRES });
    expect(rec.events.filter((e) => e.event === "memory_bundle_expired")).toEqual([
      { event: "memory_bundle_expired", fields: { bundle_id: "b1", expires_at: EXPIRES } },
    ]);
    expect(rec.lines.some((l) => l.includes('"level":"warn"') && l.includes("memory bundle expired"))).toBe(true);
    expect(statuses.at(-1)?.bundle.expired).toBe(true);
    // more snapshots, pulls and refreshes do not repeat the event
    for (let i = 0; i < 5; i++) {
      clock.advance(2000);
      svc.snapshot();
    }
    expect(rec.events.filter((e) => e.event === "memory_bundle_expired")).toHaveLength(1);
  });

  it("a 304 pull (unchanged) re-checks expiry; a newer bundle clears it and its own expiry is audited again", async () => {
    const { svc, made, rec, clock } = await readyWithExpiry({ provider: "cloud" });
    clock.t = Date.parse(EXPIRES) + 1; // time jumps (suspend/resume): no timer fired yet
    made.puller.tickAnswer = { outcome: "unchanged", expired: true, expires_at: EXPIRES };
    await svc.pullNow();
    expect(svc.snapshot().bundle.expired).toBe(true);
    expect(rec.names().filter((n) => n === "memory_bundle_expired")).toHaveLength(1);
    expect(svc.status).toBe("ready");
    // a fresh bundle without expiry
    made.bundleState = { current: { bundle_id: "b2", schema_version: "1.0.0", installed_at: null, expires_at: null }, state: null };
    made.puller.tickAnswer = { outcome: "installed", bundle_id: "b2", schema_version: "1.0.0" };
    await svc.pullNow();
    expect(svc.snapshot().bundle).toMatchObject({ bundle_id: "b2", expires_at: null, expired: false });
    expect(svc.snapshot().detail.bundle_expired).toBeUndefined();
    // b3 expires too: one more event, for b3
    made.bundleState = { current: { bundle_id: "b3", schema_version: "1.0.0", installed_at: null, expires_at: "2026-11-26T09:00:01Z" }, state: null };
    made.puller.tickAnswer = { outcome: "installed", bundle_id: "b3", schema_version: "1.0.0" };
    await svc.pullNow();
    expect(svc.snapshot().bundle.expired).toBe(false);
    clock.advance(1000);
    await until(() => rec.events.some((e) => e.event === "memory_bundle_expired" && e.fields.bundle_id === "b3"), "b3 expiry");
    expect(rec.names().filter((n) => n === "memory_bundle_expired")).toHaveLength(2);
  });

  it("at start, an already expired bundle is reported at once", async () => {
    const m = make();
    m.clock.t = Date.parse(EXPIRES) + 60_000;
    m.made.bundleState = { current: { bundle_id: "b1", schema_version: "1.0.0", installed_at: null, expires_at: EXPIRES }, state: null };
    await m.svc.start();
    expect(m.rec.events).toContainEqual({ event: "memory_bundle_expired", fields: { bundle_id: "b1", expires_at: EXPIRES } });
    expect(m.svc.snapshot().bundle.expired).toBe(true);
  });
});

describe("seed parity: memory_reload_failed", () => {
  const failures = [
    { outcome: "failed", reason: "network", message: "network error (ECONNREFUSED)" },
    { outcome: "failed", reason: "http_status", message: "manifest request failed (HTTP 500)" },
    { outcome: "failed", reason: "unauthorized", message: "manifest request refused (HTTP 401)" },
    { outcome: "failed", reason: "timeout", message: "manifest request timed out" },
    { outcome: "failed", reason: "io", message: "extraction failed: ENOSPC" },
    { outcome: "failed", reason: "unsafe_dir", message: "staging is a symlink" },
    { outcome: "rejected", reason: "bad_signature" },
    { outcome: "rejected", reason: "expired" },
    { outcome: "rejected", reason: "rollback" },
    { outcome: "rejected", reason: "unsafe_path", path: "../x" },
  ] as const;

  it.each(failures)("every failed or rejected scheduled pull emits memory_reload_failed {reason: $reason}", async (o) => {
    const { svc, made, rec } = make({ provider: "cloud" });
    await svc.start();
    made.puller.tickAnswer = o;
    await made.puller.tick(); // what the schedule runs
    await svc.pullNow(); // and a woken schedule tick
    expect(rec.events.filter((e) => e.event === "memory_reload_failed")).toEqual([
      { event: "memory_reload_failed", fields: { reason: o.reason, outcome: o.outcome } },
      { event: "memory_reload_failed", fields: { reason: o.reason, outcome: o.outcome } },
    ]);
  });

  it.each([
    { outcome: "installed", bundle_id: "b2", schema_version: "1.0.0" },
    { outcome: "unchanged" },
    { outcome: "none" },
    { outcome: "busy" },
    { outcome: "failed", reason: "aborted", message: "aborted" },
  ] as const)("a pull that ends $outcome ($reason) emits no memory_reload_failed", async (o) => {
    const { svc, made, rec } = make({ provider: "cloud" });
    await svc.start();
    made.puller.tickAnswer = o;
    await made.puller.tick();
    expect(rec.names()).not.toContain("memory_reload_failed");
  });

  it("local mode: a failed sidecar reload call (pullNow) emits memory_reload_failed {reason: sidecar_reload}; a good one none", async () => {
    const { svc, made, rec } = make({ provider: "local" });
    await svc.start();
    expect(await svc.pullNow()).toMatchObject({ outcome: "reloaded" });
    expect(rec.names()).not.toContain("memory_reload_failed");
    made.client.reloadAnswer = { class: "unavailable", error: { code: "socket_missing", message: "no socket" } };
    expect(await svc.pullNow()).toMatchObject({ outcome: "failed", reason: "unavailable" });
    expect(rec.events.filter((e) => e.event === "memory_reload_failed")).toEqual([
      { event: "memory_reload_failed", fields: { reason: "sidecar_reload", class: "unavailable", code: "socket_missing" } },
    ]);
  });

  it("a failed bootstrap pull emits memory_bootstrap_pull_failed, not memory_reload_failed; a failed self-heal only its own", async () => {
    const { svc, made, rec } = make({ provider: "cloud" });
    made.validCurrent = false;
    made.puller.tickAnswer = { outcome: "failed", reason: "network", message: "down" };
    await svc.start();
    expect(rec.names()).toContain("memory_bootstrap_pull_failed");
    expect(rec.names()).not.toContain("memory_reload_failed");
    await made.supervisor!.settings.onIncompatible();
    expect(rec.names()).toContain("memory_self_heal_failed");
    expect(rec.names()).not.toContain("memory_reload_failed");
  });
});

describe("seed parity: an empty provider is disabled", () => {
  it('provider "" → disabled, nothing created, pullNow disabled', async () => {
    const { svc, made, rec } = make({ provider: "" });
    await svc.start();
    expect(svc.status).toBe("disabled");
    expect(svc.snapshot()).toMatchObject({ provider: "disabled", status: "disabled", reason: "provider_disabled" });
    expect(made.order).toEqual([]);
    expect(rec.events).toEqual([]);
    expect(await svc.pullNow()).toEqual({ outcome: "disabled", reason: "provider_disabled" });
  });

  it('serviceOptionsFromConfig passes "" through and the service resolves it to disabled', () => {
    const o = options();
    const cfg = {
      memory: {
        provider: "" as const, endpoint: "", api_key: "", socket_path: o.socketPath, bundle_root: o.bundleRoot, tlm_path: "",
        bundle_pull_interval_ms: 1, bundle_pull_startup_delay_ms: 0, bundle_pull_jitter: 0, sidecar_ready_timeout_ms: 1,
        sidecar_shutdown_grace_ms: 0, sidecar_restart_max: 1, client_request_timeout_ms: 1, bundle_retain: 1, bundle_max_bytes: 1,
        bundle_max_unpacked_bytes: 1, bundle_download_timeout_ms: 1, bundle_min_bytes_per_s: 0, bundle_public_keys: [],
        bundle_schema_range: "^1.0.0", allow_insecure_http: false,
      },
    };
    const svc = new ServiceCore(serviceOptionsFromConfig(cfg), { parts: fakeParts().parts, clock: new ManualClock() });
    started.push(svc);
    expect(svc.snapshot().provider).toBe("disabled");
  });

  it.each(["none", "off", "Disabled", " "])("other strings (%j) are still refused", (p) => {
    expect(() => make({ provider: p as never })).toThrow(/provider/);
  });
});
