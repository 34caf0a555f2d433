// Answers a script writes to stdin in one go: one per question, none lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { LineReader } from '../src/util/line-reader.js';

test('LineReader: several answers written at once are handed out one per question, in order', async () => {
  const input = new PassThrough();
  const lines = new LineReader(input);
  const first = lines.next();
  input.write('y\nn\nyes\n');
  assert.equal(await first, 'y');
  assert.equal(await lines.next(), 'n');
  assert.equal(await lines.next(), 'yes');
  const pending = lines.next();
  input.end();
  assert.equal(await pending, undefined, 'end of input');
  assert.equal(await lines.next(), undefined);
});

test('LineReader: a question given up (abort) does not take the next answer', async () => {
  const input = new PassThrough();
  const lines = new LineReader(input);
  const ac = new AbortController();
  const abandoned = lines.next(ac.signal);
  ac.abort();
  assert.equal(await abandoned, undefined);
  const next = lines.next();
  input.write('n\n');
  assert.equal(await next, 'n', 'the answer goes to the question still asked');
  lines.close();
});
