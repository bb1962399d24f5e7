// Builds the MedShare web app into static files: `node build.mjs [options]`, run by
// `cargo xtask web` (which builds the wasm first and runs `npm ci` when node_modules is stale).
//
//   --idl FILE       the program's IDL (default <repo>/target/idl/medical_records.json)
//   --wasm-pkg DIR   medshare-wasm's `wasm-bindgen --target web` output
//                    (default $MEDSHARE_CACHE/target-wasm/pkg-web, MEDSHARE_CACHE = ~/.cache/medshare)
//   --out DIR        where the site goes (default <repo>/target/web; emptied first)
//
// Steps: render the Codama client from the IDL into src/generated/ (scripts/generate-client.mjs),
// copy the wasm package into wasm/ (the data layer imports `wasm/medshare_wasm.js`), type-check
// everything with `tsc --noEmit`, bundle src/main.tsx and src/style.css with esbuild (minified,
// source maps, content-hashed names under assets/), and write index.html (pointing at the hashed
// names) and config.example.json. The wasm module is copied under a content-hashed name and the
// glue's default `new URL('medshare_wasm_bg.wasm', import.meta.url)` is rewritten to it, so that
// a long cache lifetime on assets/ is safe. Prints one JSON line describing the output.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const appDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(appDir, '..', '..');

/** The command line as { idl, wasmPkg, out }; an unknown option is an error naming it. */
function parseArgs(argv) {
  const cache = process.env.MEDSHARE_CACHE ?? join(homedir(), '.cache', 'medshare');
  const options = {
    idl: join(repoRoot, 'target', 'idl', 'medical_records.json'),
    wasmPkg: join(cache, 'target-wasm', 'pkg-web'),
    out: join(repoRoot, 'target', 'web'),
  };
  const names = { '--idl': 'idl', '--wasm-pkg': 'wasmPkg', '--out': 'out' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key) fail(`unknown option \`${argv[i]}\` (options: ${Object.keys(names).join(', ')})`);
    if (argv[i + 1] === undefined) fail(`${argv[i]} needs a value`);
    options[key] = resolve(argv[i + 1]);
  }
  return options;
}

function fail(message) {
  console.error(`build.mjs: ${message}`);
  process.exit(1);
}

/** Milliseconds each step took, printed at the end. */
const timings = {};

/** Runs a command with inherited output; a non-zero exit ends the build naming `what`. */
function run(what, command, args) {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd: appDir, stdio: 'inherit' });
  if (result.error) fail(`${what}: ${result.error.message}`);
  if (result.status !== 0) fail(`${what} failed (exit ${result.status})`);
  timings[what] = Math.round(performance.now() - started);
}

const sha256Prefix = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

const options = parseArgs(process.argv.slice(2));
if (!existsSync(options.idl)) fail(`${options.idl} is missing: run \`cargo xtask build-sbf\` first`);
const wasmFiles = ['medshare_wasm.js', 'medshare_wasm.d.ts', 'medshare_wasm_bg.wasm', 'medshare_wasm_bg.wasm.d.ts'];
for (const file of wasmFiles) {
  if (!existsSync(join(options.wasmPkg, file))) fail(`${join(options.wasmPkg, file)} is missing: run \`cargo xtask wasm\` first`);
}

// 1. The instructions and accounts, rendered from the IDL (the one source of truth).
run('render the Codama client from the IDL', process.execPath, [join(appDir, 'scripts', 'generate-client.mjs'), options.idl, join(appDir, 'src', 'generated')]);

// 2. The cryptography: medshare-wasm's browser build, imported by the data layer.
const wasmDir = join(appDir, 'wasm');
rmSync(wasmDir, { recursive: true, force: true });
mkdirSync(wasmDir);
for (const file of wasmFiles) copyFileSync(join(options.wasmPkg, file), join(wasmDir, file));

// 3. Types: the UI, the data layer, the generated client and the wasm bindings together.
run('type-check (tsc --noEmit)', process.execPath, [join(appDir, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', join(appDir, 'tsconfig.json')]);

// 4. The bundle.
const wasmBytes = readFileSync(join(wasmDir, 'medshare_wasm_bg.wasm'));
const wasmName = `medshare_wasm_bg-${sha256Prefix(wasmBytes)}.wasm`;
const glue = join(wasmDir, 'medshare_wasm.js');
/** Points the wasm glue's default module URL at the hashed file (it is next to the bundle). */
const hashedWasmUrl = {
  name: 'hashed-wasm-url',
  setup(build) {
    build.onLoad({ filter: /medshare_wasm\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const original = "new URL('medshare_wasm_bg.wasm', import.meta.url)";
      if (args.path === glue && !source.includes(original)) {
        throw new Error(`${args.path} no longer contains ${original}: update build.mjs`);
      }
      return { contents: source.replaceAll(original, `new URL('${wasmName}', import.meta.url)`), loader: 'js' };
    });
  },
};

const bundleStarted = performance.now();
rmSync(options.out, { recursive: true, force: true });
const assets = join(options.out, 'assets');
mkdirSync(assets, { recursive: true });
const result = await esbuild.build({
  absWorkingDir: appDir,
  entryPoints: { main: 'src/main.tsx', style: 'src/style.css' },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: 'linked',
  outdir: assets,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  plugins: [hashedWasmUrl],
});
copyFileSync(join(wasmDir, 'medshare_wasm_bg.wasm'), join(assets, wasmName));
timings['bundle (esbuild)'] = Math.round(performance.now() - bundleStarted);

const outputs = Object.keys(result.metafile.outputs).map((path) => resolve(appDir, path));
const find = (pattern) => {
  const found = outputs.find((path) => pattern.test(path));
  if (!found) fail(`esbuild wrote no file matching ${pattern}`);
  return relative(options.out, found);
};
const script = find(/main-[^/]*\.js$/);
const style = find(/style-[^/]*\.css$/);

// 5. The page and an example of the runtime configuration a deployment writes next to it.
const html = readFileSync(join(appDir, 'index.html'), 'utf8');
for (const placeholder of ['%SCRIPT%', '%STYLE%']) {
  if (!html.includes(placeholder)) fail(`index.html lacks the placeholder ${placeholder}`);
}
writeFileSync(join(options.out, 'index.html'), html.replaceAll('%SCRIPT%', script).replaceAll('%STYLE%', style));
const configExample = {
  rpcUrl: 'http://127.0.0.1:8899',
  programId: JSON.parse(readFileSync(options.idl, 'utf8')).address,
  cluster: '<the cluster account address (base58), as `medshare cluster status` prints it>',
  keyDomain: 'localhost:8080',
  blobUploadUrl: 'http://localhost:8080/blobs/',
  chain: 'solana:localnet',
};
writeFileSync(join(options.out, 'config.example.json'), `${JSON.stringify(configExample, null, 2)}\n`);

const files = readdirSync(options.out, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => relative(options.out, join(entry.parentPath ?? entry.path, entry.name)))
  .sort();
console.log(JSON.stringify({ out: options.out, script, style, wasm: `assets/${wasmName}`, files, milliseconds: timings }));
