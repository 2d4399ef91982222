/** Where a configuration value came from. */
export type ConfigSource =
  | { kind: "default" }
  | { kind: "file"; file: string; line: number }
  | { kind: "env"; name: string }
  | { kind: "flag"; name: string };

/** Renders a {@link ConfigSource} the way error messages show it. */
export function formatSource(source: ConfigSource): string {
  switch (source.kind) {
    case "default":
      return "default";
    case "file":
      return `${source.file}:${source.line}`;
    case "env":
      return source.name;
    case "flag":
      return source.name;
  }
}
