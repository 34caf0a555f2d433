// Yes/no questions. Without a terminal there is nobody to ask: refuse rather than guess.
import readline from 'node:readline/promises';
import { CliError } from './errors.js';
import { ExitCode } from './exit-codes.js';

export async function confirm(question: string, opts: { signal?: AbortSignal; flag?: string } = {}): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new CliError(
      'CONFIRMATION_REQUIRED',
      `${question.replace(/\?$/, '')}: needs confirmation, but stdin is not a terminal`,
      ExitCode.USAGE,
      `pass ${opts.flag ?? '--yes'} to confirm`,
    );
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  // In a terminal readline reads Ctrl-C itself (raw mode), so no SIGINT reaches the process:
  // turn it into an abort of the question.
  const ac = new AbortController();
  const onParent = () => ac.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onParent, { once: true });
  rl.on('SIGINT', () => ac.abort(Object.assign(new Error('interrupted'), { name: 'AbortError', code: 'INTERRUPTED' })));
  try {
    const answer = await rl.question(`${question} [y/N] `, { signal: ac.signal });
    return /^\s*y(es)?\s*$/i.test(answer);
  } catch (err) {
    if (ac.signal.aborted) throw Object.assign(new Error('interrupted'), { name: 'AbortError', code: 'INTERRUPTED' });
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onParent);
    rl.close();
  }
}
