import assert from 'node:assert/strict';
import { BootstrapError } from '../../src/index.js';

/** Runs `fn`, which must throw a BootstrapError, and gives back its code. */
export function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BootstrapError, `not a BootstrapError: ${String(err)}`);
    return err.code;
  }
  assert.fail('did not throw');
}
