// (a) A third-party developer's first step with Codama: convert the program's Anchor IDL
// and render a JavaScript client (@solana/kit flavour) from it.
//
//   node render-client.mjs <idl.json> <output dir>
//
// Prints, as JSON, what Codama made of the IDL so that the Rust test can check it against
// the program: every rendered file, each account's fixed byte size as Codama computes it
// (the size its generated `get<Account>Size()` returns), the instructions and the errors.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createFromRoot } from 'codama';
import { rootNodeFromAnchor } from '@codama/nodes-from-anchor';
import { renderVisitor } from '@codama/renderers-js';
import { getByteSizeVisitor, getRecordLinkablesVisitor, LinkableDictionary, NodeStack, visit } from '@codama/visitors-core';

const [idlPath, outDir] = process.argv.slice(2);
if (!idlPath || !outDir) {
  console.error('usage: node render-client.mjs <idl.json> <output dir>');
  process.exit(2);
}

const idl = JSON.parse(readFileSync(idlPath, 'utf8'));
const root = rootNodeFromAnchor(idl);
const codama = createFromRoot(root);
await codama.accept(renderVisitor(outDir));

const program = root.program;
// Sizes follow links to defined types (Member, AcceptedPartial), as the renderer's do.
const linkables = new LinkableDictionary();
visit(root, getRecordLinkablesVisitor(linkables));
const stack = new NodeStack();
stack.push(root);
stack.push(program);
const byteSize = getByteSizeVisitor(linkables, { stack });

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [relative(outDir, path)];
  });
}

console.log(
  JSON.stringify({
    files: files(outDir).sort(),
    accounts: Object.fromEntries(program.accounts.map((account) => [account.name, visit(account.data, byteSize)])),
    instructions: program.instructions.map((instruction) => instruction.name),
    errors: program.errors.map((error) => [error.code, error.name, error.message]),
  }),
);
