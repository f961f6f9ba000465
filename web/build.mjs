// Builds the web app into one directory of hashed, precompressed files and (with --rust) the
// asset table `crates/backbeat-server/build.rs` embeds into the binary.
//
//   node build.mjs --out DIR [--rust FILE]
//
// Fails (exit 1) when the first load of the app — the entry script and every chunk it imports
// statically, gzip-compressed — passes the 250 KB budget: heavy parts (hls.js) must be loaded
// on demand with `import()`.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const FIRST_LOAD_BUDGET = 250 * 1024;

function arg(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const out = resolve(arg("--out") ?? join(here, "dist"));
const rustFile = arg("--rust");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });

const result = await build({
  absWorkingDir: here,
  entryPoints: ["src/main.tsx"],
  outdir: join(out, "assets"),
  bundle: true,
  splitting: true,
  format: "esm",
  minify: true,
  target: ["chrome109", "firefox115", "safari15"],
  jsx: "automatic",
  jsxImportSource: "preact",
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const outputs = result.metafile.outputs;
const rel = (p) => relative(here, p).split("\\").join("/");
const entry = Object.keys(outputs).find((k) => outputs[k].entryPoint === "src/main.tsx");
const css = outputs[entry].cssBundle;
const href = (p) => "/" + relative(out, resolve(here, p)).split("\\").join("/");

// The first load: the entry and its static imports, transitively.
const firstLoad = new Set();
(function walk(file) {
  if (firstLoad.has(file)) return;
  firstLoad.add(file);
  for (const imp of outputs[file].imports) {
    if (imp.kind === "import-statement" && !imp.external) walk(imp.path);
  }
})(entry);

const template = readFileSync(join(here, "index.html"), "utf8");
const preloads = [...firstLoad]
  .filter((f) => f !== entry)
  .map((f) => `<link rel="modulepreload" href="${href(f)}">`)
  .join("\n    ");
const html = template
  .replace("<!--styles-->", css ? `<link rel="stylesheet" href="${href(css)}">` : "")
  .replace("<!--scripts-->", `${preloads}\n    <script type="module" src="${href(entry)}"></script>`);
writeFileSync(join(out, "index.html"), html);
for (const f of readdirSync(join(here, "public"))) copyFileSync(join(here, "public", f), join(out, f));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const assets = [];
for (const file of files(out).sort()) {
  const type = TYPES[extname(file)];
  if (!type) throw new Error(`build.mjs: no content type for ${file}`);
  const body = readFileSync(file);
  writeFileSync(file + ".gz", gzipSync(body, { level: 9 }));
  writeFileSync(
    file + ".br",
    brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }),
  );
  assets.push({
    path: "/" + relative(out, file).split("\\").join("/"),
    file,
    type,
    etag: '"' + createHash("sha256").update(body).digest("hex").slice(0, 20) + '"',
    // Hashed names never change content: cache them for good.
    immutable: file.startsWith(join(out, "assets")),
    bytes: body.length,
    gzip: statSync(file + ".gz").size,
  });
}

let firstLoadBytes = 0;
for (const a of assets) {
  const mark = firstLoad.has(rel(a.file)) || rel(a.file) === rel(resolve(here, css ?? "")) ? "*" : " ";
  if (mark === "*" && a.path.endsWith(".js")) firstLoadBytes += a.gzip;
  console.error(`  ${mark} ${a.path.padEnd(40)} ${String(a.bytes).padStart(8)} B  ${String(a.gzip).padStart(7)} B gzip`);
}
console.error(`web: first load ${(firstLoadBytes / 1024).toFixed(1)} KB of gzip JS (budget ${FIRST_LOAD_BUDGET / 1024} KB)`);
if (firstLoadBytes > FIRST_LOAD_BUDGET) {
  console.error("web: the first load is over budget; load heavy modules with import()");
  process.exit(1);
}

if (rustFile) {
  const lit = (s) => {
    // Printable ASCII without quotes or backslashes: the same text as a Rust string literal.
    if (!/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(s)) throw new Error(`build.mjs: cannot embed the path ${s}`);
    return `"${s}"`;
  };
  const rows = assets
    .sort((a, b) => (a.path < b.path ? -1 : 1))
    .map(
      (a) => `    Asset {
        path: ${lit(a.path)},
        content_type: ${lit(a.type)},
        etag: ${JSON.stringify(a.etag)},
        immutable: ${a.immutable},
        identity: include_bytes!(${lit(a.file)}),
        gzip: include_bytes!(${lit(a.file + ".gz")}),
        brotli: include_bytes!(${lit(a.file + ".br")}),
    },`,
    )
    .join("\n");
  writeFileSync(
    rustFile,
    `// Generated by web/build.mjs: the web app's files, sorted by path.\npub(crate) static ASSETS: &[Asset] = &[\n${rows}\n];\npub(crate) const BUILT: bool = true;\npub(crate) const NOT_BUILT_BECAUSE: &str = "";\n`,
  );
}
