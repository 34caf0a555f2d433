// Yes/no questions. Without a terminal there is nobody to ask: refuse rather than guess.
import readline from 'node:readline/promises';
import { CliError } from './errors.js';
import { ExitCode } from './exit-codes.js';

export async function confirm(question: string, opts: { signal?: AbortSignal; flag?: string } = {}): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new CliError('CONFIRMATION_REQUIRED', `${question.replace(/\?$/, '')}: needs confirmation, but stdin is not a terminal`, ExitCode.USAGE,
      `pass ${opts.flag ?? '--yes'} to confirm`);
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `, opts.signal ? { signal: opts.signal } : {});
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}
