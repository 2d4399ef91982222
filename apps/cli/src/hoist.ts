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
