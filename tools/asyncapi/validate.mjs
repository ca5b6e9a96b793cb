// Parses an AsyncAPI document with the official parser (@asyncapi/parser, pinned in package.json)
// and prints its diagnostics as JSON on stdout:
//   {"document": PATH, "asyncapi": "3.0.0", "parsed": true,
//    "diagnostics": [{"severity": "error|warning|info|hint", "code", "message", "path"}],
//    "messages": [{"id", "name", "payloadId"}], "operations": [{"id", "action", "address", "messageIds"}]}
// messages and operations are what the parser's model holds (empty when it could not parse): the
// ids it gives each message, and the $id of the payload schema each $ref resolved to.
// Exit 0: parsed with no error and no warning; 1: errors or warnings (listed); 2: usage, or the file
// cannot be read. Run: node tools/asyncapi/validate.mjs docs/contract/asyncapi.json
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Parser, fromFile } from '@asyncapi/parser';

const SEVERITY = ['error', 'warning', 'info', 'hint']; // Spectral's DiagnosticSeverity 0..3

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node validate.mjs ASYNCAPI_DOCUMENT (a .json or .yaml file)\n');
  process.exit(2);
}
const path = resolve(file);
try {
  await readFile(path);
} catch (err) {
  process.stderr.write(`cannot read ${path}: ${err.message}; check the path\n`);
  process.exit(2);
}

const { document, diagnostics } = await fromFile(new Parser(), path).parse();
const out = diagnostics.map((d) => ({
  severity: SEVERITY[d.severity] ?? String(d.severity),
  code: String(d.code),
  message: d.message,
  path: d.path.join('/'),
}));
process.stdout.write(JSON.stringify({
  document: path,
  asyncapi: document ? document.version() : null,
  parsed: Boolean(document),
  diagnostics: out,
  messages: document ? document.messages().all().map((m) => ({
    id: m.id(),
    name: m.name() ?? null,
    payloadId: m.payload()?.json()?.$id ?? null,
  })) : [],
  operations: document ? document.operations().all().map((o) => ({
    id: o.id(),
    action: o.action(),
    address: o.channels().all().map((c) => c.address()),
    messageIds: o.messages().all().map((m) => m.id()),
  })) : [],
}, null, 2) + '\n');
process.exit(out.some((d) => d.severity === 'error' || d.severity === 'warning') || !document ? 1 : 0);
