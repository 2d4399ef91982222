// The refusals the @recall/safe-fs README describes, run by registry-check in a project that
// installed the package from the throwaway registry (after the README example itself made ./state).
// Prints one JSON line for the test to check.
import { chmod, lstat, mkdir, readFile, symlink } from "node:fs/promises";
import { checkPrivateDir, removeInside } from "@recall/safe-fs";

const dir = "./state";
const verdict = await checkPrivateDir(dir);
const written = JSON.parse(await readFile(`${dir}/state.json`, "utf8"));
const mode = (await lstat(`${dir}/state.json`)).mode & 0o777;

// a directory others can write, and a removal a symlink would lead out of ./state
await mkdir("./shared", { recursive: true });
await chmod("./shared", 0o777);
const shared = await checkPrivateDir("./shared");
await symlink("..", `${dir}/out`);
const escape = await removeInside(dir, `${dir}/out/package.json`).then(() => null, (e) => e.code);
console.log(JSON.stringify({ ok: verdict.ok, written, mode, shared: { ok: shared.ok, fix: shared.fix }, escape }));
