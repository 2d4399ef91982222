// Compiles scripts/int8-dot.wat and prints the base64 that src/int8-dot-wasm.ts embeds.
// Run: npx -y -p wabt@1.0.39 node scripts/compile-int8-dot.mjs  (or with wabt installed anywhere on NODE_PATH).
// The unit test int8-dot.test.ts checks the embedded bytes against a scalar dot product, so a stale or wrong
// compile fails the suite.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const wabt = await require(process.env.WABT_PATH ?? "wabt")();
const source = readFileSync(new URL("./int8-dot.wat", import.meta.url), "utf8");
const mod = wabt.parseWat("int8-dot.wat", source, { simd: true });
mod.validate();
const { buffer } = mod.toBinary({});
process.stdout.write(`${Buffer.from(buffer).toString("base64")}\n`);
