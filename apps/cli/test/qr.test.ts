// `pair initiate --qr` prints the 12 words as a terminal QR code: read it back off the real
// process's stdout, turn the block characters into modules, and decode them with jsQR (an
// independent decoder), as a phone camera would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import jsqr from 'jsqr';
import { MAIN, tempDir } from './helpers/pair.js';

// qrcode-terminal's small mode draws for a dark terminal: the glyph's ink is a LIGHT module,
// the blank is a dark one, and each character cell holds two modules (top, bottom).
const HALVES: Record<string, [boolean, boolean]> = {
  '\u2588': [true, true], // full block
  '\u2580': [true, false], // upper half block
  '\u2584': [false, true], // lower half block
  ' ': [false, false],
};
const QR_LINE = /^[\u2588\u2580\u2584 ]+$/;

/** The QR's lines from stdout once all of them arrived, else undefined. */
function qrLines(stdout: string): string[] | undefined {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.length > 20 && /^\u2584+$/.test(l));
  if (start < 0) return undefined;
  // Top line: a light border row under the terminal background, n + 2 wide (n modules, n odd);
  // then (n + 1) / 2 lines of module pairs, the last padded with a light row.
  const width = lines[start]!.length;
  const rows = 1 + (width - 2 + 1) / 2;
  const block = lines.slice(start, start + rows);
  // the last one must be complete (followed by a newline)
  if (block.length < rows || lines.length <= start + rows) return undefined;
  for (const l of block) assert.match(l, QR_LINE, `not a QR line: ${JSON.stringify(l)}`);
  for (const l of block) assert.equal(l.length, width, 'QR lines have one width');
  return block;
}

/** Light (true) or dark per half-cell: two rows per text line. */
function toModules(lines: string[]): boolean[][] {
  const out: boolean[][] = [];
  for (const line of lines) {
    const top: boolean[] = [];
    const bottom: boolean[] = [];
    for (const ch of line) {
      const h = HALVES[ch];
      assert.ok(h !== undefined, `unexpected character U+${ch.codePointAt(0)!.toString(16)}`);
      top.push(h[0]);
      bottom.push(h[1]);
    }
    out.push(top, bottom);
  }
  return out;
}

/**
 * RGBA pixels of the modules, `scale` pixels each, inside `margin` modules of the terminal's
 * dark background (what surrounds the code on screen).
 */
function render(modules: boolean[][], scale = 6, margin = 4): { data: Uint8ClampedArray; width: number; height: number } {
  const w = (modules[0]!.length + 2 * margin) * scale;
  const h = (modules.length + 2 * margin) * scale;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const my = Math.floor(y / scale) - margin;
      const mx = Math.floor(x / scale) - margin;
      const light = modules[my]?.[mx] === true;
      const i = (y * w + x) * 4;
      data[i] = data[i + 1] = data[i + 2] = light ? 255 : 0;
      data[i + 3] = 255;
    }
  }
  return { data, width: w, height: h };
}

test('pair initiate --qr prints a QR code that decodes to exactly the 12 words', async (t) => {
  const home = tempDir(t);
  const child = spawn(process.execPath, [MAIN, '--home', home, 'initiate', '--qr', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: os.tmpdir() },
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });

  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Wait for the whole QR (an event, not a delay); fail if the process ends first.
  const lines = await new Promise<string[]>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      try {
        const got = qrLines(stdout);
        if (got !== undefined) resolve(got);
      } catch (err) {
        reject(err);
      }
    });
    void exited.then(({ code }) => reject(new Error(`pair initiate exited (${code}) before printing the QR: ${stderr}`)));
  });

  const join = /^\s*pair join (.+)$/m.exec(stdout);
  assert.ok(join !== null, 'the words are printed as a `pair join` line');
  const words = join[1]!.trim();
  assert.equal(words.split(' ').length, 12);

  const modules = toModules(lines);
  const { data, width, height } = render(modules);
  const decoded = jsqr.default(data, width, height, { inversionAttempts: 'dontInvert' });
  assert.ok(decoded !== null, 'jsQR found and decoded the QR code');
  assert.equal(decoded.data, words);
  // A QR code is square: the module rows between the border rows match its width.
  assert.equal(decoded.version, (modules[0]!.length - 2 - 17) / 4);

  // Still waiting for a joiner; Ctrl-C ends it (no process is left behind).
  child.kill('SIGINT');
  const end = await exited;
  assert.notEqual(end.code, 0, 'an interrupted initiate does not report success');
});
