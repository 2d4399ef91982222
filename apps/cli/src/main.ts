import { closest, parseArgs, wantsHelp } from "./args";
import { CliError, EXIT, UsageError } from "./errors";
import { makeOutput, type Output } from "./output";
import { COMMANDS } from "./registry";

/** The process pieces `main` uses, injectable for tests. */
export interface MainIo {
  stdout: Output["stdout"];
  stderr: Output["stderr"];
  env: Record<string, string | undefined>;
  cwd: string;
  signal: AbortSignal;
  version: string;
}

function isConfigError(e: unknown): e is Error & { code: string } {
  const code: unknown = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
  return typeof code === "string" && code.startsWith("CONFIG_");
}

/** Reports an error the way the user asked (text on stderr, or JSON on stdout) and returns the exit code. */
export function reportError(e: unknown, out: Output): number {
  let code: string;
  let message: string;
  let hint: string | undefined;
  let exit: number;
  let extra: Record<string, unknown> = {};
  if (e instanceof CliError) {
    extra = e.json ?? {};
    ({ code, message, hint } = e);
    exit = e.exitCode;
  } else if (isConfigError(e)) {
    code = e.code;
    message = e.message;
    hint = "fix the config (see `recall config --help`), or point --config / RECALL_CONFIG at another file";
    exit = EXIT.usage;
  } else if (e instanceof Error && typeof (e as Error & { code?: unknown }).code === "string") {
    // A library's typed error (BundleError, PullerError, …): its message is meant for people.
    code = (e as Error & { code: string }).code;
    message = e.message;
    exit = EXIT.error;
  } else {
    code = "INTERNAL";
    message = e instanceof Error ? e.message : String(e);
    exit = EXIT.error;
  }
  if (out.json) {
    out.printJson({ ...extra, error: { code, message, ...(hint ? { hint } : {}), exit_code: exit } });
  } else {
    const st = out.errStyle;
    out.err(`${st.red(st.bold("error:"))} ${message}`);
    if (hint) out.err(`${st.dim("  fix:")} ${hint}`);
    if (code === "INTERNAL" && e instanceof Error && e.stack && process.env.RECALL_DEBUG) out.err(st.dim(e.stack));
  }
  return exit;
}

/**
 * Moves global options written before the command (`recall --json status`,
 * `recall --config f.yaml query x`) after it, where the parser reads them.
 */
export function hoistGlobals(argv: readonly string[]): string[] {
  const globals: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === "--json" || a === "--no-color") globals.push(a);
    else if (a === "--config" && i + 1 < argv.length) globals.push(a, argv[++i]!);
    else if (a.startsWith("--config=")) globals.push(a);
    else break;
    i++;
  }
  if (globals.length === 0 || i >= argv.length) return [...argv];
  const rest = argv.slice(i);
  // after the command words (`bundle serve`), before any `--`
  const words = rest[0] === "bundle" && rest[1] !== undefined && !rest[1].startsWith("-") ? 2 : 1;
  const dash = rest.indexOf("--");
  const tail = dash === -1 ? rest.slice(words) : rest.slice(words, dash);
  return [...rest.slice(0, words), ...tail, ...globals, ...(dash === -1 ? [] : rest.slice(dash))];
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
