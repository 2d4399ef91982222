import { chmod, lstat, mkdir, realpath } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { BundleRejectedError } from "./errors";
import { ancestorsOf } from "./path-rules";
import { quotePath } from "./quote-path";

/**
 * The extraction target as it is being filled: maps admitted relative paths
 * to absolute ones that provably stay inside it, and creates directories
 * one level at a time as real 0755 directories whose `realpath` is checked.
 */
export class DestTree {
  private readonly created = new Set<string>([""]);

  /**
   * @param destAbs the target, absolute, already created.
   * @param destReal its `realpath`.
   * @param stop once aborted, {@link DestTree.ensureDir} creates nothing more.
   */
  constructor(
    readonly destAbs: string,
    private readonly destReal: string,
    private readonly stop: AbortSignal,
  ) {}

  /** Absolute path of a relative admitted path; `unsafe_path` rejection (thrown) if it would leave the target. */
  targetOf(path: string): string {
    const abs = resolve(this.destAbs, ...path.split("/"));
    if (!abs.startsWith(this.destAbs + sep)) {
      throw new BundleRejectedError("unsafe_path", `entry ${quotePath(path)} resolves outside the target`, { path });
    }
    return abs;
  }

  /**
   * Creates `path` and its ancestors as real 0755 directories, checking each
   * stays inside the target. Throws the filesystem's error (an `EEXIST` also
   * when the name is taken by something that is not a directory), or an
   * `unsafe_path` rejection.
   */
  async ensureDir(path: string): Promise<void> {
    for (const dir of [...ancestorsOf(path), path]) {
      if (this.created.has(dir) || this.stop.aborted) continue;
      const abs = this.targetOf(dir);
      await mkdir(abs, { mode: 0o755 });
      const st = await lstat(abs);
      if (!st.isDirectory()) throw Object.assign(new Error("not a directory"), { code: "EEXIST" });
      await chmod(abs, 0o755);
      if ((await realpath(abs)) !== join(this.destReal, ...dir.split("/"))) {
        throw new BundleRejectedError("unsafe_path", `directory ${quotePath(dir)} resolves outside the target`, { path: dir });
      }
      this.created.add(dir);
    }
  }

  /** Every directory created (the target included), deepest first, then the target's parent: the fsync order. */
  directoriesToSync(): string[] {
    const dirs = [...this.created].sort((a, b) => b.split("/").length - a.split("/").length || (a < b ? 1 : -1));
    const paths = dirs.map((d) => (d === "" ? this.destAbs : join(this.destAbs, ...d.split("/"))));
    paths.push(dirname(this.destAbs));
    return paths;
  }
}
