// Renders the program's @solana/kit client from its Anchor IDL with Codama, as a third-party
// developer would (tests/js/render-client.mjs does the same for the IDL test):
//
//   node scripts/generate-client.mjs [<idl.json> [<output dir>]]
//
// Defaults: <repo>/target/idl/medical_records.json and web/app/src/generated. The output is
// git-ignored: the IDL is the one source of the instructions, accounts, PDAs and errors the
// web app's data layer (src/chain/) uses, so a program change reaches the app at its next
// build. Codama renders no events (an Anchor IDL's events are log lines, not accounts), so
// this script also writes `idl-events.ts`: every event's name, discriminator and borsh
// fields, and every program error's code, name and message, from the same IDL.
// Prints one JSON line: the IDL's program address and how many files were rendered.

import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFromRoot } from 'codama';
import { rootNodeFromAnchor } from '@codama/nodes-from-anchor';
import { renderVisitor } from '@codama/renderers-js';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [idlArg, outArg] = process.argv.slice(2);
const idlPath = resolve(idlArg ?? join(appDir, '..', '..', 'target', 'idl', 'medical_records.json'));
const outDir = resolve(outArg ?? join(appDir, 'src', 'generated'));

if (!existsSync(idlPath)) {
  console.error(`generate-client: ${idlPath} is missing: run \`cargo xtask build-sbf\` first`);
  process.exit(1);
}
let idl;
try {
  idl = JSON.parse(readFileSync(idlPath, 'utf8'));
} catch (error) {
  console.error(`generate-client: ${idlPath} is not JSON: ${error.message}`);
  process.exit(1);
}
if (typeof idl.address !== 'string' || !Array.isArray(idl.instructions)) {
  console.error(`generate-client: ${idlPath} is not an Anchor IDL (no address or instructions)`);
  process.exit(1);
}

const codama = createFromRoot(rootNodeFromAnchor(idl));
// The renderer writes `<packageFolder>/<generatedFolder>`; the app's package.json is W2's and
// pinned by hand, so the renderer must not rewrite its dependencies (syncPackageJson: false).
await codama.accept(
  renderVisitor(dirname(outDir), {
    generatedFolder: basename(outDir),
    deleteFolderBeforeRendering: true,
    syncPackageJson: false,
  }),
);

// Two spots of Codama's output do not type-check under the app's strict TypeScript 5.9 (with
// @solana/kit 8.4 as with 6.10): the program plugin's `extendClient(...)` return type (TS2322)
// and the errors file's dev-only `process.env.NODE_ENV` (no Node types in a browser app; the
// bundler replaces it). Those two files are marked `@ts-nocheck`; they still give their types
// to the code that imports them, which is checked.
const uncheckable = [join(outDir, 'programs', 'medicalRecords.ts'), join(outDir, 'errors', 'medicalRecords.ts')];
for (const file of uncheckable) {
  if (!existsSync(file)) {
    console.error(`generate-client: Codama did not render ${file}: update scripts/generate-client.mjs`);
    process.exit(1);
  }
  writeFileSync(file, `// @ts-nocheck -- rendered by Codama; see scripts/generate-client.mjs\n${readFileSync(file, 'utf8')}`);
}

/** An event field's IDL type as the data layer's decoder names it; anything else is refused
 * here, at build time, rather than misread at run time. */
function fieldType(type, where) {
  if (['pubkey', 'u8', 'u16', 'u32', 'u64', 'i64', 'bool'].includes(type)) return type;
  if (type && Array.isArray(type.array) && type.array[0] === 'u8' && Number.isInteger(type.array[1])) return `bytes${type.array[1]}`;
  console.error(`generate-client: ${where} has type ${JSON.stringify(type)}, which the web app's event decoder does not read`);
  process.exit(1);
}

const events = (idl.events ?? []).map((event) => {
  const definition = (idl.types ?? []).find((type) => type.name === event.name);
  if (!definition || definition.type?.kind !== 'struct') {
    console.error(`generate-client: event ${event.name} has no struct type in the IDL`);
    process.exit(1);
  }
  const fields = definition.type.fields.map((field) => [field.name, fieldType(field.type, `${event.name}.${field.name}`)]);
  return { name: event.name, discriminator: event.discriminator, fields };
});
const errors = (idl.errors ?? []).map((error) => ({ code: error.code, name: error.name, message: error.msg ?? '' }));
/** A JSON array with one element per line. */
const lines = (items) => `[\n${items.map((item) => `  ${JSON.stringify(item)},`).join('\n')}\n]`;
const tables = `// Rendered from ${basename(idlPath)} by scripts/generate-client.mjs. Do not edit.

/** A borsh field type of an event: an address, an integer, a bool or a fixed byte array. */
export type IdlFieldType = 'pubkey' | 'u8' | 'u16' | 'u32' | 'u64' | 'i64' | 'bool' | \`bytes\${number}\`;

/** An event the program emits: \`Program data: base64(discriminator ‖ borsh fields)\`. */
export interface IdlEvent {
  readonly name: string;
  readonly discriminator: readonly number[];
  readonly fields: readonly (readonly [string, IdlFieldType])[];
}

/** An error the program returns as \`custom program error: <code>\`. */
export interface IdlError {
  readonly code: number;
  readonly name: string;
  readonly message: string;
}

/** The program address the IDL was built for. */
export const IDL_PROGRAM_ADDRESS = ${JSON.stringify(idl.address)};

/** Every event of the program. */
export const IDL_EVENTS: readonly IdlEvent[] = ${lines(events)};

/** Every error of the program. */
export const IDL_ERRORS: readonly IdlError[] = ${lines(errors)};
`;
writeFileSync(join(outDir, 'idl-events.ts'), tables);

const count = (dir) => readdirSync(dir).reduce((n, name) => n + (statSync(join(dir, name)).isDirectory() ? count(join(dir, name)) : 1), 0);
console.log(JSON.stringify({ idl: idlPath, out: outDir, programAddress: idl.address, files: count(outDir), events: events.length, errors: errors.length }));
