// A small spinner for waits. Writes only to a TTY stream; otherwise every call is a no-op.
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Progress {
  readonly #stream: NodeJS.WriteStream | undefined;
  #label: string;
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(stream: NodeJS.WriteStream | undefined, label: string) {
    this.#stream = stream;
    this.#label = label;
    if (stream) {
      this.#timer = setInterval(() => this.#draw(), 100);
      this.#timer.unref();
      this.#draw();
    }
  }

  get active(): boolean {
    return this.#timer !== undefined;
  }

  update(label: string): void {
    this.#label = label;
    this.#draw();
  }

  /** Stops and leaves a final line (✔ or ✖) in place of the spinner. */
  succeed(text = this.#label): void {
    this.#finish(`✔ ${text}`);
  }

  fail(text = this.#label): void {
    this.#finish(`✖ ${text}`);
  }

  /** Stops and erases the spinner line. */
  stop(): void {
    this.#finish(undefined);
  }

  #draw(): void {
    if (!this.#stream || !this.#timer) return;
    this.#frame = (this.#frame + 1) % FRAMES.length;
    this.#stream.write(`\r\x1b[2K${FRAMES[this.#frame]} ${this.#label}`);
  }

  #finish(line: string | undefined): void {
    if (!this.#stream || !this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stream.write('\r\x1b[2K' + (line === undefined ? '' : line + '\n'));
  }
}
