import { join } from "node:path";

/** Absolute paths of everything inside a bundle root (docs/bundle-root.md). */
export interface BundleRootLayout {
  root: string;
  fingerprint: string;
  lock: string;
  state: string;
  staging: string;
  bundles: string;
  current: string;
  currentTmp: string;
}

/** Computes the paths of the bundle-root layout; touches nothing on disk. */
export function bundleRootLayout(root: string): BundleRootLayout {
  return {
    root,
    fingerprint: join(root, ".tenant_fingerprint"),
    lock: join(root, "bundle.lock"),
    state: join(root, "state.json"),
    staging: join(root, "staging"),
    bundles: join(root, "bundles"),
    current: join(root, "current"),
    currentTmp: join(root, "current.tmp"),
  };
}
