/** Buffered writes to stdout/stderr that survive a closed pipe and flush before exit. */
export class Output {
  private pending: Promise<void> = Promise.resolve();

  constructor(
    readonly out: NodeJS.WritableStream = process.stdout,
    readonly err: NodeJS.WritableStream = process.stderr,
  ) {
    out.on?.('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }

  write(s: string | Uint8Array): void {
    if (!this.out.write(s)) {
      this.pending = new Promise((resolve) => this.out.once('drain', () => resolve()));
    }
  }

  line(s = ''): void {
    this.write(s + '\n');
  }

  error(s: string): void {
    this.err.write(s.endsWith('\n') ? s : s + '\n');
  }

  async drain(): Promise<void> {
    await this.pending;
  }

  get isTTY(): boolean {
    return Boolean((this.out as NodeJS.WriteStream).isTTY);
  }
}
