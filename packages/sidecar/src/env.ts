const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD/i;
const RECALL_VAR = /^RECALL_/i;

/**
 * The environment a sidecar child gets: `env` minus every `RECALL_*`
 * variable and every variable whose name looks like a credential
 * (`KEY`, `SECRET`, `TOKEN`, `PASSWORD`, any case). Returns a new
 * null-prototype object.
 */
export function sidecarEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  // null prototype: a variable named `__proto__` stays a plain key
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || RECALL_VAR.test(name) || SECRET_NAME.test(name)) continue;
    out[name] = value;
  }
  return out;
}
