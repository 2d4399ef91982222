#!/usr/bin/env node
"use strict";
// `tlm`: one bundled CommonJS file (dist/bin/tlm.cjs), so a cold start skips
// Node's ESM loader and module resolution. This directory is CommonJS
// (bin/package.json) for that reason; the library stays ESM (dist/index.js).
/* global require */
/* eslint-disable @typescript-eslint/no-require-imports -- require() is the point: no ESM loader on the cold path */
require("../dist/bin/tlm.cjs");
