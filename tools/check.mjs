#!/usr/bin/env node
// A project's `check` target: its typecheck and its lint from one TypeScript program.
//
// `tsc --noEmit -p tsconfig.json` then `eslint .` (the `typecheck` and `lint` targets, still there to run on their
// own) build the same program twice: the lint's type-aware rules get theirs from the project service. Here the
// program is built once from the project's tsconfig.json, checked as tsc checks it, and handed to ESLint
// (`parserOptions.programs`), whose rules then ask a checker that has already resolved every type. Same files, same
// compiler options, same rules and config (eslint.config.js); about a third less CPU per project.
//
// Run from a project's directory (nx does): `node ../../tools/check.mjs [--ignore <glob>]...`; `--ignore` keeps a
// nested project's files out of the lint (tools/ holds tools/registry-check). Prints tsc's diagnostics, then
// ESLint's (stylish), then one summary line on stderr; exits 1 when there is any error, 2 when it cannot run.
import { ESLint } from "eslint";
import ts from "typescript";

const cwd = process.cwd();
const ignorePatterns = [];
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  const problem = arg !== "--ignore" ? `unknown argument ${JSON.stringify(arg)}` : process.argv[i + 1] === undefined ? "--ignore needs a glob" : "";
  if (problem) {
    console.error(`check: ${problem} (usage: check.mjs [--ignore <glob>]...)`);
    process.exit(2);
  }
  ignorePatterns.push(process.argv[++i]);
}
const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => cwd, getNewLine: () => "\n" };
const print = (diagnostics) => {
  if (diagnostics.length === 0) return;
  process.stdout.write(color ? ts.formatDiagnosticsWithColorAndContext(diagnostics, host) : ts.formatDiagnostics(diagnostics, host));
  if (color) process.stdout.write("\n");
};

const configPath = ts.findConfigFile(cwd, ts.sys.fileExists, "tsconfig.json");
if (!configPath) {
  console.error(`check: no tsconfig.json in ${cwd} or above`);
  process.exit(2);
}
const configErrors = [];
const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => configErrors.push(d),
});
if (!parsed) {
  print(configErrors);
  process.exit(2);
}
const program = ts.createProgram({
  rootNames: parsed.fileNames,
  options: parsed.options,
  projectReferences: parsed.projectReferences,
  configFileParsingDiagnostics: parsed.errors,
});
// What `tsc --noEmit` reports: the config's, the options', global, syntactic and semantic diagnostics.
const typeErrors = [...ts.getConfigFileParsingDiagnostics(parsed), ...ts.getPreEmitDiagnostics(program)]
  .filter((d) => d.category === ts.DiagnosticCategory.Error);
print(ts.sortAndDeduplicateDiagnostics(typeErrors));

// TypeScript files take their types from this program; plain JavaScript keeps the config's untyped parser options.
const eslint = new ESLint({
  cwd,
  ignorePatterns,
  overrideConfig: [{
    files: ["**/*.ts", "**/*.mts", "**/*.cts"],
    languageOptions: { parserOptions: { programs: [program], projectService: false } },
  }],
});
const results = await eslint.lintFiles(["."]);
const formatted = await (await eslint.loadFormatter("stylish")).format(results);
if (formatted) process.stdout.write(formatted);
const lintErrors = results.reduce((n, r) => n + r.errorCount, 0);
const lintWarnings = results.reduce((n, r) => n + r.warningCount, 0);
console.error(`check: ${program.getRootFileNames().length} files typechecked, ${typeErrors.length} type errors; ` +
  `${results.length} files linted, ${lintErrors} lint errors, ${lintWarnings} warnings`);
process.exit(typeErrors.length > 0 || lintErrors > 0 ? 1 : 0);
