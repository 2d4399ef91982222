// The @recall/sidecar README example, run by registry-check in a project that installed
// the package from the throwaway registry. Prints one JSON line for the test to check.
import { existsSync } from "node:fs";
import { request } from "node:http";
import { Sidecar, resolveBinary } from "@recall/sidecar";
const [tlmPath, socketPath, bundleRoot] = process.argv.slice(2);
const bin = resolveBinary(tlmPath);
if (!bin.ok) throw bin.error;
const sidecar = new Sidecar({ socketPath, bundleRoot, binary: bin.path });
await sidecar.spawn();
const r = await sidecar.waitReady(undefined, 30_000);
if (!r.ok) console.error(r.reason, sidecar.recentOutput());
const health = await new Promise((done) => request({ socketPath, path: "/health" }, (res) => { res.resume(); done(res.statusCode); })
  .on("error", () => done(0)).end());
await sidecar.shutdown(2000);
console.log(JSON.stringify({ resolved: bin.ok, ready: r.ok, health, socketLeft: existsSync(socketPath) }));
