import { readFileSync } from "node:fs";
import { chmod, chown, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { controlSocketPath, loadConfig } from "@recall/config";
import { checkBundleRoot, checkPrivateDir } from "@recall/service";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { REPO, removeTmp, shortTmp } from "./helpers";

const run = (file: string, args: string[]) => execa(file, args);
const UNIT = join(REPO, "deploy/recalld.service");
const K8S = join(REPO, "deploy/k8s/recall.yaml");

let dir: string;
beforeAll(async () => {
  dir = await shortTmp("rdd-");
});
afterAll(() => removeTmp(dir));

/** `Key=value` lines of one section of a unit file. */
function unitSection(text: string, section: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("[")) current = line;
    else if (current === `[${section}]` && line && !line.startsWith("#")) {
      const i = line.indexOf("=");
      const k = line.slice(0, i);
      out.set(k, [...(out.get(k) ?? []), line.slice(i + 1)]);
    }
  }
  return out;
}

describe("deploy/recalld.service", () => {
  const text = readFileSync(UNIT, "utf8");
  const svc = unitSection(text, "Service");

  it("restarts on failure, stops within a TimeoutStopSec above grace + 1 s, and is hardened", () => {
    expect(svc.get("Type")).toEqual(["simple"]);
    expect(svc.get("Restart")).toEqual(["on-failure"]);
    expect(svc.get("RestartSec")?.[0]).toMatch(/^\d+s$/);
    expect(Number.parseInt(svc.get("TimeoutStopSec")![0]!, 10)).toBeGreaterThan(2 + 1);
    expect(svc.get("ExecStart")?.[0]).toContain("/opt/recall/apps/daemon/bin/recalld.js --config /etc/recall/config.yaml");
    expect(svc.get("ExecReload")?.[0]).toContain("-HUP");
    expect(svc.get("KillMode")).toEqual(["mixed"]);
    expect(svc.get("NoNewPrivileges")).toEqual(["yes"]);
    expect(svc.get("ProtectSystem")).toEqual(["strict"]);
    expect(svc.get("RuntimeDirectory")).toEqual(["recall"]);
    expect(svc.get("ReadWritePaths")?.[0]?.split(" ")).toEqual(["/run/recall", "/var/lib/recall"]);
  });

  it("verifies with systemd-analyze when the machine has it", async () => {
    let analyze = true;
    try {
      await run("systemd-analyze", ["--version"]);
    } catch {
      analyze = false;
    }
    if (!analyze) {
      // No systemd here: the static checks above are all we can do; say so in the output.
      console.warn("systemd-analyze not found: recalld.service not verified");
      expect(analyze).toBe(false);
      return;
    }
    const { stdout, stderr } = await run("systemd-analyze", ["verify", UNIT]);
    expect(`${stdout}${stderr}`.trim()).toBe("");
  });
});

describe("deploy/k8s/recall.yaml", () => {
  const docs = parseAllDocuments(readFileSync(K8S, "utf8"));
  const objects = docs.map((d) => d.toJS() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any

  it("parses as a ConfigMap, a Secret and a Deployment", () => {
    expect(docs.every((d) => d.errors.length === 0)).toBe(true);
    expect(objects.map((o) => o.kind)).toEqual(["ConfigMap", "Secret", "Deployment"]);
  });

  it("holds a valid recall config whose paths match the containers, the key coming from the Secret", async () => {
    const [cm, secret, deploy] = objects;
    const file = join(dir, "config.yaml");
    await writeFile(file, cm!.data["config.yaml"]);
    const config = loadConfig({ file, env: { RECALL_MEMORY_API_KEY: "from-the-secret" } });
    expect(config.memory.provider).toBe("cloud");
    expect(config.memory.api_key).toBe("from-the-secret");

    const spec = deploy!.spec.template.spec;
    const byName = Object.fromEntries(spec.containers.map((c: { name: string }) => [c.name, c]));
    const tlm = byName.tlm;
    const recalld = byName.recalld;
    const arg = (c: { command: string[] }, flag: string) => c.command[c.command.indexOf(flag) + 1];

    // tlm serves the configured socket and bundle root; recalld attaches with the ConfigMap's file.
    expect(arg(tlm, "--socket")).toBe(config.memory.socket_path);
    expect(arg(tlm, "--bundle-root")).toBe(config.memory.bundle_root);
    expect(recalld.command).toContain("--attach");
    const configMount = recalld.volumeMounts.find((m: { name: string }) => m.name === "config");
    expect(arg(recalld, "--config")).toBe(join(configMount.mountPath, "config.yaml"));

    // Both containers share the socket and bundle volumes (emptyDir) under the configured paths.
    for (const c of [tlm, recalld]) {
      const run = c.volumeMounts.find((m: { name: string }) => m.name === "run");
      const bundles = c.volumeMounts.find((m: { name: string }) => m.name === "bundles");
      expect(config.memory.socket_path.startsWith(`${run.mountPath}/`)).toBe(true);
      expect(config.memory.bundle_root.startsWith(`${bundles.mountPath}/`)).toBe(true);
    }
    expect(spec.volumes.find((v: { name: string }) => v.name === "run").emptyDir).toBeDefined();
    expect(spec.volumes.find((v: { name: string }) => v.name === "bundles").emptyDir).toBeDefined();

    // The probes talk to the real control socket and sidecar socket.
    expect(recalld.readinessProbe.exec.command.join(" ")).toContain(controlSocketPath(config));
    expect(tlm.livenessProbe.exec.command.join(" ")).toContain(config.memory.socket_path);
    expect(dirname(controlSocketPath(config))).toBe(dirname(config.memory.socket_path));

    // The key: a Secret env var on recalld only, never a literal.
    const keyEnv = recalld.env.find((e: { name: string }) => e.name === "RECALL_MEMORY_API_KEY");
    expect(keyEnv.valueFrom.secretKeyRef.name).toBe(secret!.metadata.name);
    expect(keyEnv.value).toBeUndefined();
    expect(tlm.env).toBeUndefined();

    // emptyDir volumes start root-owned 0777 without the sticky bit, which recalld and tlm refuse as a
    // parent: an init container hands both volumes to the pod's uid, private, before either starts.
    const init = spec.initContainers.find((c: { name: string }) => c.name === "private-dirs");
    const script = init.command.join(" ");
    const uid = spec.securityContext.runAsUser as number;
    for (const v of ["run", "bundles"]) {
      const mount = init.volumeMounts.find((m: { name: string }) => m.name === v).mountPath as string;
      expect(script).toContain(`chown ${uid}:${spec.securityContext.runAsGroup} `);
      expect(script).toMatch(new RegExp(`chmod 0700 .*${mount}`));
    }

    // Kubernetes waits long enough for the graceful stop.
    expect(spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(config.memory.sidecar_shutdown_grace_ms + 1000);
  });
});

describe("deploy/k8s/recall.yaml volumes on disk", () => {
  // What the kubelet and the init container do to the two emptyDirs, replayed on real directories.
  it.runIf(process.getuid?.() === 0)("are refused as emptyDirs and accepted once the init container ran", async () => {
    const docs = parseAllDocuments(readFileSync(K8S, "utf8")).map((d) => d.toJS() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    const deployment = docs.find((d) => d?.kind === "Deployment");
    const cm = docs.find((d) => d?.kind === "ConfigMap");
    if (!deployment || !cm) throw new Error("deploy/k8s/recall.yaml has no Deployment or no ConfigMap");
    const spec = deployment.spec.template.spec;
    const uid = spec.securityContext.runAsUser as number;
    const file = join(dir, "k8s-config.yaml");
    await writeFile(file, cm.data["config.yaml"]);
    const config = loadConfig({ file, env: {} });
    const volumes = { run: join(dir, "vol-run"), bundles: join(dir, "vol-bundles") };
    for (const v of Object.values(volumes)) {
      await mkdir(v);
      await chmod(v, 0o777);
    }
    const onDisk = (p: string, mount: string, vol: string) => join(vol, p.slice(mount.length));
    const tlm = spec.containers.find((c: { name: string }) => c.name === "tlm");
    const mountOf = (name: string) => tlm.volumeMounts.find((m: { name: string }) => m.name === name).mountPath as string;
    const sockDir = onDisk(dirname(config.memory.socket_path), mountOf("run"), volumes.run);
    const root = onDisk(config.memory.bundle_root, mountOf("bundles"), volumes.bundles);

    expect((await checkPrivateDir(sockDir, { uid })).ok).toBe(false);
    expect((await checkBundleRoot(root, { uid })).ok).toBe(false);
    for (const v of Object.values(volumes)) {
      await chown(v, uid, spec.securityContext.runAsGroup as number);
      await chmod(v, 0o700);
    }
    expect(await checkPrivateDir(sockDir, { uid })).toMatchObject({ ok: true });
    expect(await checkBundleRoot(root, { uid })).toMatchObject({ ok: true });
  });
});
