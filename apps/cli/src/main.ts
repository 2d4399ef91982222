import { closest, parseArgs, wantsHelp } from "./args";
import { EXIT, UsageError } from "./errors";
import { hoistGlobals } from "./hoist";
import { makeOutput, type Output } from "./output";
import { COMMANDS } from "./registry";
import { reportError } from "./report-error";

export { hoistGlobals, reportError };

/** The process pieces `main` uses, injectable for tests. */
export interface MainIo {
  stdout: Output["stdout"];
  stderr: Output["stderr"];
  env: Record<string, string | undefined>;
  cwd: string;
  signal: AbortSignal;
  version: string;
}

/**
 * Runs `recall` with `argv` (without node and the script). Resolves with the
 * exit code; never throws.
 */
export async function main(rawArgv: readonly string[], io: MainIo): Promise<number> {
  const argv = hoistGlobals(rawArgv);
  const beforeDashes = argv.indexOf("--") === -1 ? argv : argv.slice(0, argv.indexOf("--"));
  const json = beforeDashes.includes("--json");
  const noColor = beforeDashes.includes("--no-color");
  const out = makeOutput({
    stdout: io.stdout,
    get stderr() {
      return io.stderr;
    },
    env: io.env,
    noColor,
    json,
  });
  try {
    const first = argv[0];
    // Help texts are rendered by a module of their own, loaded only when asked for.
    const help = () => import("./help");
    if (first === undefined || first === "--help" || first === "-h") {
      io.stdout.write((await help()).mainHelp(out.style, io.version));
      return first === undefined ? EXIT.usage : EXIT.ok;
    }
    if (first === "--version" || first === "-V") {
      out.line(json ? JSON.stringify({ version: io.version }) : io.version);
      return EXIT.ok;
    }
    let words = [first];
    let rest = argv.slice(1);
    if (first === "help") {
      if (rest.length === 0) {
        io.stdout.write((await help()).mainHelp(out.style, io.version));
        return EXIT.ok;
      }
      words = [rest[0]!];
      rest = [...rest.slice(1), "--help"];
    }
    if (words[0] === "bundle") {
      const sub = rest[0];
      if (sub === undefined || sub.startsWith("-")) {
        io.stdout.write((await help()).groupHelp("bundle", out.style));
        return sub === undefined ? EXIT.usage : wantsHelp(rest) ? EXIT.ok : EXIT.usage;
      }
      words = ["bundle", sub];
      rest = rest.slice(1);
    }
    const name = words.join(" ");
    const entry = COMMANDS[name];
    if (!entry) {
      const names = Object.keys(COMMANDS).filter((n) => n.split(" ").length === words.length && n.startsWith(words.length > 1 ? "bundle " : ""));
      const guess = closest(name, names);
      throw new UsageError(`unknown command "${name}"`, guess ? `did you mean \`recall ${guess}\`?` : "see `recall --help`");
    }
    if (wantsHelp(rest)) {
      io.stdout.write((await help()).commandHelp(entry.spec, out.style));
      return EXIT.ok;
    }
    const args = parseArgs(rest, entry.spec);
    const mod = await entry.load();
    return await mod.run({
      args,
      out,
      env: io.env,
      cwd: io.cwd,
      version: io.version,
      get signal() {
        return io.signal;
      },
    });
  } catch (e) {
    return reportError(e, out);
  }
}
