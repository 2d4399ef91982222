// The @recall/bundle README example, run by registry-check in a project that installed
// the package from the throwaway registry. Prints one JSON line for the test to check.
import { createReadStream } from "node:fs";
import { readFile, stat, mkdir } from "node:fs/promises";
import { checkManifestPolicy, generateKeyPair, pack, parseManifestJson, safeExtract } from "@recall/bundle";

const [bundleId] = process.argv.slice(2);
const { publicKey, privateKeyPem } = generateKeyPair();
const expiresAt = new Date(Date.now() + 30 * 86400_000).toISOString().replace(/\.\d+Z$/, "Z");
await pack("./build", { outDir: "./publish", bundleId, schemaVersion: "1.0.0", expiresAt, signKeyPem: privateKeyPem });

const raw = await readFile("./publish/manifest.json");
const parsed = parseManifestJson(raw);
if (!parsed.ok) throw parsed.rejection;
const policy = checkManifestPolicy(parsed.manifest, { publicKeys: [publicKey], schemaRange: "^1.0.0", now: new Date() });
if (!policy.ok) throw policy.rejection;
await mkdir("./root/staging", { recursive: true });
const r = await safeExtract(createReadStream(`./publish/${parsed.manifest.archive.path}`), {
  dest: `./root/staging/${bundleId}`, manifest: parsed.manifest, maxBytes: 2 * 2 ** 30, maxUnpackedBytes: 8 * 2 ** 30,
});
if (!r.ok) throw new Error(r.rejection.reason);
const size = (await stat(`./root/staging/${bundleId}/memories.db`)).size;

const evil = JSON.parse(raw.toString());
evil.schema_version = "1.0.1";
const p2 = parseManifestJson(Buffer.from(JSON.stringify(evil)));
const t = p2.ok ? checkManifestPolicy(p2.manifest, { publicKeys: [publicKey], schemaRange: "^1.0.0", now: new Date() }) : p2;
console.log(JSON.stringify({ policy: policy.ok, extracted: r.ok, size, tampered: t.ok ? null : t.rejection.reason }));
