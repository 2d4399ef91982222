import { CliError, EXIT } from "./errors";
import { safeText, type Output } from "./output";

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
    // messages embed outside data (file names, sidecar and server messages): each line is made safe
    const safe = (x: string) => x.split("\n").map(safeText).join("\n");
    out.err(`${st.red(st.bold("error:"))} ${safe(message)}`);
    if (hint) out.err(`${st.dim("  fix:")} ${safe(hint)}`);
    if (code === "INTERNAL" && e instanceof Error && e.stack && process.env.RECALL_DEBUG) out.err(st.dim(e.stack));
  }
  return exit;
}
