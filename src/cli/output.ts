// Buffered output for commands that print a line per packet: strings are gathered and written in
// large pieces; drain() lets the capture reader wait for a slow pipe instead of buffering without
// bound. A closed pipe (`pcapdx packets f | head`) ends the program quietly.

export class Output {
  private parts: string[] = [];
  private size = 0;
  private blocked: Promise<void> | null = null;
  static readonly FLUSH_AT = 256 * 1024;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }

  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= Output.FLUSH_AT) this.flush();
  }

  line(s: string): void {
    this.write(s + '\n');
  }

  flush(): void {
    if (this.size === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(chunk) && this.blocked === null) {
      this.blocked = new Promise((resolve) => this.stream.once('drain', () => {
        this.blocked = null;
        resolve();
      }));
    }
  }

  /** Resolves when the stream has room again (immediately when it has). */
  drain = async (): Promise<void> => {
    this.flush();
    if (this.blocked) await this.blocked;
  };

  async end(): Promise<void> {
    await this.drain();
  }
}
