// The web app's checks: TypeScript's type check, then the unit tests (`src/**/*.test.ts`)
// bundled by esbuild and run by Node's test runner. `node test.mjs` exits non-zero on failure.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const run = (cmd, args) => spawnSync(cmd, args, { cwd: here, stdio: "inherit" }).status ?? 1;

if (run(join(here, "node_modules/.bin/tsc"), ["-p", "."]) !== 0) process.exit(1);

const tests = (function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".test.ts") ? [p] : [];
  });
})(join(here, "src"));

const out = mkdtempSync(join(tmpdir(), "backbeat-web-tests-"));
try {
  await build({
    entryPoints: tests,
    outdir: out,
    outbase: join(here, "src"),
    bundle: true,
    platform: "node",
    format: "esm",
    outExtension: { ".js": ".mjs" },
    jsx: "automatic",
    jsxImportSource: "preact",
    logLevel: "warning",
  });
  const files = tests.map((t) => join(out, t.slice(join(here, "src").length + 1).replace(/\.ts$/, ".mjs")));
  process.exitCode = run(process.execPath, ["--test", ...files]);
} finally {
  rmSync(out, { recursive: true, force: true });
}
