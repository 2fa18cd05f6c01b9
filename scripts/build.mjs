// Bundles the CLI (and the corpus tools) into single runnable ESM files under dist/.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  // commander is CommonJS; give the ESM bundle a require() for it.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
};

await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/pcapdx.mjs',
  banner: { js: '#!/usr/bin/env node\n' + common.banner.js } });
chmodSync('dist/pcapdx.mjs', 0o755);
await build({ ...common, entryPoints: ['scripts/parity.ts'], outfile: 'dist/parity.mjs' });
