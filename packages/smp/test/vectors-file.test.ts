// The repo carries its own copy of the SMP vectors; it must not drift from the shared file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findVectorsFile, fixtureVectorsFile, sharedVectorsFile } from './helpers/vectors.js';

test('the in-repo copy of smp-vectors.json equals the shared file byte for byte (when the shared file is there)', (t) => {
  const fixture = fixtureVectorsFile();
  assert.ok(existsSync(fixture), `missing ${fixture}`);
  const shared = sharedVectorsFile();
  if (!shared) {
    t.diagnostic('no shared/vectors above this clone: only the in-repo copy is checked');
    assert.ok(JSON.parse(readFileSync(fixture, 'utf8')).ah, 'the copy parses and has the ah section');
    return;
  }
  assert.ok(readFileSync(fixture).equals(readFileSync(shared)), `${fixture} differs from ${shared}: copy the shared file over it`);
});

test('vector file choice: $PAIRKIT_SMP_VECTORS first, then shared/, then the in-repo copy; a bad env path is an error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pairkit-smp-vectors-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const mine = join(dir, 'v.json');
  writeFileSync(mine, '{}');
  assert.equal(findVectorsFile({ PAIRKIT_SMP_VECTORS: mine }), mine);
  assert.throws(() => findVectorsFile({ PAIRKIT_SMP_VECTORS: join(dir, 'nope.json') }), /missing file/);
  assert.equal(findVectorsFile({}), sharedVectorsFile() ?? fixtureVectorsFile());
  assert.match(fixtureVectorsFile(), /packages[\\/]smp[\\/]test[\\/]fixtures[\\/]smp-vectors\.json$/);
});
