// A minimal Chrome DevTools Protocol client over --remote-debugging-pipe, with Node's own code
// (no npm dependency): headless Chromium reads NUL-terminated JSON commands on its fd 3 and
// writes responses and events on fd 4. Enough for the browser test: open a page, evaluate
// script, click, type, take screenshots.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** Debian's chromium package; PCAPDX_CHROMIUM overrides. */
export const CHROMIUM = process.env.PCAPDX_CHROMIUM ?? '/usr/bin/chromium';
/** A command that takes longer than this is a hung browser, not a slow one. */
const COMMAND_TIMEOUT_MS = 30_000;

type Json = Record<string, unknown>;
interface Pending { resolve: (v: Json) => void; reject: (e: Error) => void; method: string; timer: NodeJS.Timeout }
interface Waiter { method: string; sessionId?: string; resolve: (p: Json) => void }

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM)
    ? null
    : `headless Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium) or set PCAPDX_CHROMIUM`;
}

export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private waiters: Waiter[] = [];
  private buf = '';
  private stderr = '';

  private constructor(private readonly proc: ChildProcess, private readonly userDir: string) {
    const out = proc.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => this.receive(chunk));
    proc.stderr?.on('data', (d: Buffer) => {
      if (this.stderr.length < 20_000) this.stderr += d.toString();
    });
    proc.on('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited during ${p.method}: ${this.stderr.slice(-2000)}`));
      this.pending.clear();
    });
  }

  static async launch(): Promise<Browser> {
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
    const userDir = mkdtempSync(join(tmpdir(), 'pcapdx-chromium-'));
    const proc = spawn(CHROMIUM, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
      '--disable-extensions', '--disable-background-networking', '--disable-sync', '--hide-scrollbars', '--mute-audio',
      `--user-data-dir=${userDir}`, '--remote-debugging-pipe', 'about:blank',
    ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    const b = new Browser(proc, userDir);
    await b.send('Target.setDiscoverTargets', { discover: true });
    return b;
  }

  private receive(chunk: string): void {
    this.buf += chunk;
    let at: number;
    while ((at = this.buf.indexOf('\0')) >= 0) {
      const msg = JSON.parse(this.buf.slice(0, at)) as { id?: number; result?: Json; error?: { message: string }; method?: string; params?: Json; sessionId?: string };
      this.buf = this.buf.slice(at + 1);
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) continue;
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p.resolve(msg.result ?? {});
      } else if (msg.method) {
        const keep: Waiter[] = [];
        for (const w of this.waiters) {
          if (w.method === msg.method && (w.sessionId === undefined || w.sessionId === msg.sessionId)) w.resolve(msg.params ?? {});
          else keep.push(w);
        }
        this.waiters = keep;
      }
    }
  }

  send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer from chromium in ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, method, timer });
      (this.proc.stdio[3] as Writable).write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  }

  /** Resolves with the params of the next event `method` (on `sessionId`). Register before
   *  sending the command that causes it. */
  event(method: string, sessionId?: string): Promise<Json> {
    return new Promise((resolve) => this.waiters.push({ method, sessionId, resolve }));
  }

  async newPage(width: number, height: number): Promise<Page> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' }) as { targetId: string };
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true }) as { sessionId: string };
    const page = new Page(this, sessionId, targetId);
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    return page;
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.send('Browser.close'), new Promise((r) => setTimeout(r, 3000))]);
    } catch {
      // already gone
    }
    if (this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (this.proc.exitCode === null && this.proc.signalCode === null) {
        this.proc.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(this.userDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

export class Page {
  constructor(private readonly browser: Browser, readonly sessionId: string, readonly targetId: string) {}

  async close(): Promise<void> {
    await this.browser.send('Target.closeTarget', { targetId: this.targetId });
  }

  send(method: string, params: Json = {}): Promise<Json> {
    return this.browser.send(method, params, this.sessionId);
  }

  /** Navigates and waits for the load event. Returns the wall-clock milliseconds it took. */
  async goto(url: string): Promise<number> {
    const t = performance.now();
    const loaded = this.browser.event('Page.loadEventFired', this.sessionId);
    const r = await this.send('Page.navigate', { url }) as { errorText?: string };
    if (r.errorText) throw new Error(`navigate ${url}: ${r.errorText}`);
    await loaded;
    return performance.now() - t;
  }

  /** Evaluates an expression (awaiting a promise) and returns its value as JSON. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }) as {
      result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails) throw new Error(`evaluate: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Polls `expression` until it is truthy. */
  async waitFor(expression: string, timeoutMs = 10_000): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (!(await this.evaluate<boolean>(`!!(${expression})`))) {
      if (performance.now() > until) throw new Error(`timed out waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Page coordinates of an element's box (after scrolling it into view). */
  async box(selector: string): Promise<{ x: number; y: number; width: number; height: number }> {
    const b = await this.evaluate<{ x: number; y: number; width: number; height: number } | null>(`(() => {
      const el = document.querySelector(${JSON.stringify(selector)}); if (!el) return null;
      el.scrollIntoView({ block: 'center' }); const r = el.getBoundingClientRect();
      return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
    })()`);
    if (!b) throw new Error(`no element ${selector}`);
    return b;
  }

  /** A real mouse click at the element's centre (through the input pipeline, as a user would). */
  async click(selector: string): Promise<void> {
    const b = await this.box(selector);
    const scroll = await this.evaluate<{ x: number; y: number }>('({ x: scrollX, y: scrollY })');
    const x = b.x - scroll.x + b.width / 2;
    const y = b.y - scroll.y + b.height / 2;
    await this.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y });
    await this.send('Input.dispatchMouseEvent', { type: 'mousePressed', x, y, button: 'left', clickCount: 1 });
    await this.send('Input.dispatchMouseEvent', { type: 'mouseReleased', x, y, button: 'left', clickCount: 1 });
  }

  async type(selector: string, text: string): Promise<void> {
    await this.click(selector);
    await this.send('Input.insertText', { text });
  }

  /** PNG of the whole page, or of the elements' union box (page coordinates). */
  async screenshot(path: string, selectors?: string[]): Promise<void> {
    let clip: { x: number; y: number; width: number; height: number };
    if (selectors?.length) {
      const boxes = [];
      for (const s of selectors) boxes.push(await this.box(s));
      const x0 = Math.min(...boxes.map((b) => b.x)), y0 = Math.min(...boxes.map((b) => b.y));
      const x1 = Math.max(...boxes.map((b) => b.x + b.width)), y1 = Math.max(...boxes.map((b) => b.y + b.height));
      clip = { x: Math.max(0, x0 - 8), y: Math.max(0, y0 - 8), width: x1 - x0 + 16, height: y1 - y0 + 16 };
    } else {
      const size = await this.evaluate<{ w: number; h: number }>('({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight })');
      clip = { x: 0, y: 0, width: size.w, height: size.h };
    }
    const r = await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip: { ...clip, scale: 1 } }) as { data: string };
    writeFileSync(path, Buffer.from(r.data, 'base64'));
  }
}
