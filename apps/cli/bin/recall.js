#!/usr/bin/env node
"use strict";
// `recall`. A plain `recall query` runs from one small CommonJS file
// (dist/fast/query.cjs: node:net, a hand-written HTTP/1.1 request, the config
// cache) without starting Node's ESM loader; every other command, and any
// query the fast path declines, loads the bundled CLI (dist/cli.js) and its
// lazy chunks. This directory is CommonJS (bin/package.json) for that reason.
/* global require */
/* eslint-disable @typescript-eslint/no-require-imports -- require() is the point: no ESM loader on the hot path */
const { enableCompileCache } = require("node:module");
const { join } = require("node:path");

const env = process.env;
// Node >= 22.1 caches compiled code; in a directory of ours, never a shared /tmp one.
const cacheBase = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith("/") ? env.XDG_CACHE_HOME : env.HOME && env.HOME.startsWith("/") ? join(env.HOME, ".cache") : null;
if (typeof enableCompileCache === "function" && cacheBase !== null) {
  try {
    enableCompileCache(join(cacheBase, "recall", "compile-cache"));
  } catch {
    // a cache is an optimisation only
  }
}

const argv = process.argv.slice(2);
const full = () => import("../dist/cli.js");
if (argv.includes("query")) {
  const io = {
    stdout: process.stdout,
    get stderr() {
      return process.stderr;
    },
    env,
    cwd: process.cwd(),
    version: require("../package.json").version,
  };
  require("../dist/fast/query.cjs")
    .runFastQuery(argv, io)
    // pipes and files are written synchronously on Linux: exiting now loses no output
    .then((code) => (code === null ? full() : process.exit(code)), full);
} else {
  full();
}
