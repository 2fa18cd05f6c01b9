// The set-up both browser test files share: one headless Chromium per file (the file fails at
// once, with a clear message, when Chromium is missing), the screenshot folder, a temp dir, and
// everything closed at the end.
import { before, after } from 'node:test';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../synth/tshark.js';
import { Browser, chromiumMissing } from './cdp.js';

/** Screenshots and written reports for people to look at (git-ignored). */
export const OUT = join(dirname(fileURLToPath(import.meta.url)), 'out');

export function browserSuite(): { browser: () => Browser; tmp: ReturnType<typeof tempDir> } {
  const tmp = tempDir();
  let browser: Browser | undefined;
  before(async () => {
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
    mkdirSync(OUT, { recursive: true });
    browser = await Browser.launch();
  });
  after(async () => {
    await browser?.close();
    tmp.done();
  });
  return {
    browser: () => {
      if (!browser) throw new Error('Chromium was not started');
      return browser;
    },
    tmp,
  };
}
