// @ts-check
// One flat config for the whole monorepo; every project's `lint` target runs `eslint .` from its
// own directory and finds this file. TypeScript is linted with type information (the project
// service reads each package's tsconfig.json, which includes src, test, bench and the root *.ts
// configs), so rules such as no-floating-promises see real types. Plain .js/.mjs files (bins,
// benches, child-process fixtures) are linted without type information.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { importX, createNodeResolver } from "eslint-plugin-import-x";

const NODE_GLOBALS = {
  process: "readonly", console: "readonly", Buffer: "readonly", setTimeout: "readonly",
  clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly",
  setImmediate: "readonly", clearImmediate: "readonly", URL: "readonly", URLSearchParams: "readonly",
  AbortController: "readonly", AbortSignal: "readonly", TextEncoder: "readonly", TextDecoder: "readonly",
  performance: "readonly", queueMicrotask: "readonly", structuredClone: "readonly", fetch: "readonly",
};

export default tseslint.config(
  {
    ignores: ["**/dist/**", "**/node_modules/**", "**/.nx/**", ".recall/**", "**/*.d.ts", "**/*.d.mts"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: NODE_GLOBALS,
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { "import-x": importX },
    settings: {
      // Sources import siblings without an extension ("./args"); resolve them to the .ts file.
      // Workspace packages stay at their node_modules path (no realpath), so they count as
      // external and no-cycle does not walk into their dist/.
      "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".mts", ".js", ".mjs", ".json"], symlinks: false })],
      // Without these, import-x only parses .js files and silently follows no TypeScript import.
      "import-x/extensions": [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".mts", ".cts"] },
      "import-x/external-module-folders": ["node_modules", "node_modules/@types"],
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      // The bugs this config is here to find: a promise nobody awaits or catches, a promise passed
      // where a callback's return value is ignored, awaiting something that is not a promise.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unnecessary-type-assertion": "error",
      // Numbers and booleans in messages are fine; objects that print "[object Object]" are not.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true, allowNullish: true }],
      // `reject(signal.reason)` is the AbortSignal idiom; the reason is typed `any`.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingAny: true, allowThrowingUnknown: true }],
      // A value import cycle inside a package is a layering bug (and a source of half-initialised
      // modules). no-cycle does not follow `import type`; the CLI's command boundary below covers
      // the one type-only cycle we had. Sibling packages are reached through node_modules and are
      // not followed: Nx already refuses cycles between projects.
      "import-x/no-cycle": ["error", { ignoreExternal: true, maxDepth: 10 }],
      "no-console": "off",
    },
  },
  {
    // Test code (unit and integration tests, benches, the e2e and registry-check harnesses) reads
    // JSON answers and spies on methods all day: `any` flowing around and unbound `expect(x.fn)`
    // are its normal shape, not bugs. Promise rules stay on here: an un-awaited `expect().rejects`
    // is a test that cannot fail.
    files: [
      "**/__tests__/**", "**/test/**", "**/bench/**", "**/*.test.ts", "**/vitest.config.ts",
      "e2e/**", "tools/registry-check/**", "packages/test-utils/**",
    ],
    rules: {
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/unbound-method": "off",
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // Plain JavaScript has no tsconfig to read types from.
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The CLI's commands are leaves: the registry loads them lazily, and they share code only
    // through modules in apps/cli/src (never through each other, never through the registry).
    files: ["apps/cli/src/commands/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["./*"], message: "Commands do not import each other: move the shared part to a module in apps/cli/src." },
          { group: ["../registry", "../main", "../cli", "../help"], message: "Commands do not import the registry or the entry points that load them; take types from ../command-context." },
        ],
      }],
    },
  },
  {
    files: ["packages/*/src/**/*.ts"],
    ignores: ["**/__tests__/**"],
    rules: { "no-console": "error" },
  },
);
