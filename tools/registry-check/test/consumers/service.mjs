// The @recall/service README example, run by registry-check in a project that installed
// the package from the throwaway registry. Prints one JSON line for the test to check.
import { loadConfig } from "@recall/config";
import { Service, serviceOptionsFromConfig } from "@recall/service";
const noop = () => {};
const logger = { debug: noop, info: noop, warn: noop, error: noop };
const audit = [];
const config = loadConfig({ file: "config.yaml", env: { HOME: process.cwd() } });
const service = new Service(serviceOptionsFromConfig(config, { version: "1.0.0" }), { logger, audit: { log: (event) => audit.push(event) } });
await service.start();
const deadline = Date.now() + 30_000;
while (service.snapshot().status !== "ready" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
const started = service.snapshot().status;
const r = await service.query({ text: process.argv[2], limit: 5 }, { timeoutMs: 5000 });
await service.stop();
console.log(JSON.stringify({ started, cls: r.class, ids: r.class === "ok" ? r.envelope.results.map((m) => m.id) : [], stopped: service.snapshot().status, audit }));
