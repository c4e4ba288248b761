// Bundles the CLI with esbuild into dist/cli.js (and explore's worker thread, dist/explore-worker.js)
// and the chunks they load on demand
// (dist/chunks/): one file for each part instead of hundreds of modules, so the playground
// starts fast. The playground loads the CLI, the engine and the TUI; meow (parsing arguments,
// skipped when there are none) and the TUI (not needed by `run`) are chunks of their own, so a
// start compiles only what it runs. React runs its production build.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';
import { shippedOptions } from './build-options.mjs';

// Chunk names carry a hash: the old ones would pile up.
rmSync('dist', { recursive: true, force: true });
await build({ ...shippedOptions, entryPoints: ['src/cli.ts', 'src/explore-worker.ts'], outdir: 'dist', splitting: true, chunkNames: 'chunks/[name]-[hash]' });
