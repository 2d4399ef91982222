// The @recall/client README example, run by registry-check in a project that installed
// the package from the throwaway registry. Prints one JSON line for the test to check.
import { SidecarClient } from "@recall/client";
const [socketPath, text, nowhere] = process.argv.slice(2);
const client = new SidecarClient({ socketPath, requestTimeoutMs: 2000 });
const r = await client.query({ text, limit: 5 });
const ids = r.class === "ok" ? r.value.results.map((m) => m.id) : [];
await client.close();
const down = new SidecarClient({ socketPath: nowhere, requestTimeoutMs: 2000 });
const u = await down.query({ text });
await down.close();
console.log(JSON.stringify({ cls: r.class, ids, missing: u.class }));
