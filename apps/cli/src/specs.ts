import type { CommandSpec } from "./args";

const KINDS = "fact, decision, preference, episode, note";

/**
 * Every command's spec: plain data (no loaders, no imports of command code),
 * so `--help`, argument errors and the fast query path read it without
 * loading any command. docs/apps.md lists the commands.
 */
export const COMMAND_SPECS = Object.freeze({
  query: {
    name: "query",
    summary: "search memory",
    description:
      "Asks the memory sidecar on the configured socket. When none answers, exits 3 (memory unavailable)\n" +
      "unless --spawn is given, which starts a one-shot sidecar on the installed bundle for this query.",
    positionals: [{ name: "TEXT", required: true, description: "what to look for (1..2000 characters)" }],
    options: {
      kind: { type: "string", multiple: true, placeholder: "K", description: `only this kind (repeatable): ${KINDS}` },
      entity: { type: "string", multiple: true, placeholder: "E", description: "only memories mentioning this entity (repeatable)" },
      since: { type: "string", placeholder: "DATE", description: "created at or after (ISO 8601, e.g. 2026-01-31)" },
      until: { type: "string", placeholder: "DATE", description: "created at or before (ISO 8601)" },
      limit: { type: "string", placeholder: "N", description: "at most N results, 1..100 (default 10)" },
      spawn: { type: "boolean", description: "start a one-shot sidecar when none answers" },
    },
    examples: [
      'recall query "release checklist"',
      'recall query deploy --kind decision --entity payments --since 2026-01-01 --limit 5',
      'recall query "who owns billing" --json | jq ".results[0].text"',
    ],
  } satisfies CommandSpec,
  status: {
    name: "status",
    summary: "is memory running, and if not, why and how to fix it",
    description:
      "Asks recalld's control socket (daemon.sock next to memory.socket_path) for /status; else the sidecar's\n" +
      "/health; else reports that nothing runs and the command that starts it. Exits 0 when memory is ready,\n" +
      "3 when it is not running or not ready.",
    positionals: [],
    options: {},
    examples: ["recall status", "recall status --json"],
  } satisfies CommandSpec,
  pull: {
    name: "pull",
    summary: "pull the newest memory bundle now (cloud mode)",
    description:
      "Asks a running recalld to pull (POST /pull). Without a daemon, in cloud mode, pulls in this process\n" +
      "with a progress bar on a TTY. In local mode bundles come from `recall bundle install` instead.\n" +
      "Exit 0: installed, unchanged, nothing published, or reloaded; 1: failed or rejected (reason shown);\n" +
      "3: busy (another pull holds the bundle lock: try again shortly) or memory disabled.",
    positionals: [],
    options: {},
    examples: ["recall pull", "recall pull --json"],
  } satisfies CommandSpec,
  doctor: {
    name: "doctor",
    summary: "check the setup, one line per check with the fix",
    description: "Checks config, provider, tlm binary, socket directory, bundle root, state, signing keys,\ncloud endpoint and key, and the daemon. Exits 1 if any check fails.",
    positionals: [],
    options: {},
    examples: ["recall doctor", "recall doctor --json"],
  } satisfies CommandSpec,
  config: {
    name: "config",
    summary: "print the effective config (secrets redacted)",
    description: "Shows every memory.* key after file < env < flags, with the API key replaced by its fingerprint.",
    positionals: [],
    options: {},
    examples: ["recall config", "recall config --config ./recall.yaml --json"],
  } satisfies CommandSpec,
  "bundle keygen": {
    name: "bundle keygen",
    summary: "create an Ed25519 signing key pair",
    description:
      "Writes PREFIX.key (PKCS#8 PEM, mode 0600: keep it secret) and PREFIX.pub (base64 raw key: put it in\n" +
      "memory.bundle_public_keys), and prints the key id. Refuses to overwrite an existing key.",
    positionals: [],
    options: { out: { type: "string", placeholder: "PREFIX", description: "file prefix (default ./recall-signing)" } },
    examples: ["recall bundle keygen --out keys/prod"],
  } satisfies CommandSpec,
  "bundle pack": {
    name: "bundle pack",
    summary: "pack a directory of bundle files into a publish directory",
    description: "Writes OUT/manifest.json and OUT/bundle-<ID>.tar.gz (docs/bundle-format.md), signed when --sign-key is given.",
    positionals: [{ name: "DIR", required: true, description: "directory holding the bundle files (e.g. memories.db)" }],
    options: {
      out: { type: "string", placeholder: "OUT", description: "publish directory to write (required)" },
      "bundle-id": { type: "string", placeholder: "ID", description: "bundle id, sorts in publication order (required; e.g. 20261126T080000Z)" },
      "schema-version": { type: "string", placeholder: "V", description: "schema version of the files (default 1.0.0)" },
      "sign-key": { type: "string", placeholder: "FILE", description: "private key PEM from `recall bundle keygen`" },
      "expires-in": { type: "string", placeholder: "DURATION", description: "set expires_at this far ahead (e.g. 30d)" },
      tenant: { type: "string", placeholder: "T", description: "tenant fingerprint the bundle is for" },
    },
    examples: ["recall bundle pack build/ --out publish/ --bundle-id 20261126T080000Z --sign-key keys/prod.key --expires-in 30d"],
  } satisfies CommandSpec,
  "bundle sign": {
    name: "bundle sign",
    summary: "add or replace a signature on a publish directory's manifest",
    positionals: [{ name: "PUBLISH_DIR", required: true, description: "directory holding manifest.json (or the manifest file)" }],
    options: { key: { type: "string", placeholder: "FILE", description: "private key PEM (required)" } },
    examples: ["recall bundle sign publish/ --key keys/prod.key"],
  } satisfies CommandSpec,
  "bundle verify": {
    name: "bundle verify",
    summary: "check a bundle's signature, policy, archive hash and contents",
    description:
      "Checks the manifest (schema, signature by one of the keys, schema range, expiry) and extracts the archive\n" +
      "into a temporary directory with the same safe extractor the puller uses. Keys come from --pubkey,\n" +
      "--pubkey-file, else memory.bundle_public_keys. Exit 0 valid, 1 rejected (reason shown).",
    positionals: [{ name: "PUBLISH_DIR|MANIFEST", required: true, description: "publish directory or its manifest.json" }],
    options: {
      pubkey: { type: "string", multiple: true, placeholder: "B64", description: "trusted public key, base64 (repeatable)" },
      "pubkey-file": { type: "string", multiple: true, placeholder: "FILE", description: "file holding a trusted public key (repeatable)" },
    },
    examples: ["recall bundle verify publish/ --pubkey-file keys/prod.pub"],
  } satisfies CommandSpec,
  "bundle install": {
    name: "bundle install",
    summary: "verify and install a bundle into the configured bundle root",
    description:
      "Runs the puller's verify + install path on a local archive or publish directory, swaps `current`\n" +
      "atomically, then asks a running sidecar to reload.",
    positionals: [{ name: "ARCHIVE_OR_DIR", required: true, description: "publish directory, or an archive with manifest.json beside it" }],
    options: {
      "allow-rollback": { type: "boolean", description: "install even if older than the highest bundle ever installed" },
    },
    examples: ["recall bundle install publish/"],
  } satisfies CommandSpec,
  "bundle serve": {
    name: "bundle serve",
    summary: "serve a publish directory as a bundle endpoint (docs/protocol.md)",
    description:
      "GET /api/v1/memory/bundle/manifest → DIR/manifest.json (strong ETag, If-None-Match → 304, 404 while\n" +
      "nothing is published) and /api/v1/memory/bundle/<archive> → the archive. DIR is re-read on every\n" +
      "request, so publishing into it is picked up. With --api-key-env VAR, requests must carry X-API-Key equal\n" +
      "to $VAR (401 otherwise). Ctrl-C stops.",
    positionals: [{ name: "DIR", required: true, description: "publish directory (manifest.json + archive)" }],
    options: {
      port: { type: "string", placeholder: "N", description: "TCP port (0 picks a free one; required)" },
      host: { type: "string", placeholder: "HOST", description: "address to listen on (default 127.0.0.1)" },
      "api-key-env": { type: "string", placeholder: "VAR", description: "require X-API-Key equal to the value of env var VAR" },
    },
    examples: ["recall bundle serve publish/ --port 8787", "RECALL_MEMORY_API_KEY=s3cret recall bundle serve publish/ --port 8787 --api-key-env RECALL_MEMORY_API_KEY"],
  } satisfies CommandSpec,
});

/** Names of every command (`query`, `bundle keygen`, …). */
export type CommandName = keyof typeof COMMAND_SPECS;

/** Top-level command groups shown in `recall --help`, in order. */
export const TOP_LEVEL = ["query", "status", "pull", "bundle", "doctor", "config"] as const;
