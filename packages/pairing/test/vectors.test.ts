import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runVector } from './helpers/vectors.js';

// dist/test/vectors.test.js -> package root
const root = new URL('../../', import.meta.url);
const expected = JSON.parse(readFileSync(fileURLToPath(new URL('test/vectors.json', root)), 'utf8'));
const protocolDoc = readFileSync(fileURLToPath(new URL('PROTOCOL.md', root)), 'utf8');

test('fixed inputs produce exactly the published vectors', () => {
  assert.deepEqual(runVector(), expected);
});

test('every vector value appears in PROTOCOL.md', () => {
  const values: string[] = [];
  const walk = (o: unknown): void => {
    if (typeof o === 'string') values.push(o);
    else if (o && typeof o === 'object') Object.values(o).forEach(walk);
  };
  walk(expected);
  // Long hex strings are wrapped in the document; compare without whitespace.
  const flat = protocolDoc.replace(/\s+/g, '');
  for (const v of values) assert.ok(flat.includes(v.replace(/\s+/g, '')), `PROTOCOL.md lacks ${v.slice(0, 24)}…`);
});
