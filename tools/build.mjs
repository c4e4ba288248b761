// Bundles the CLI into one file (dist/cli.js) with esbuild: one file to load instead of
// hundreds of modules, so the playground starts fast. React runs its production build.
import { build } from 'esbuild';
import { shippedOptions } from './build-options.mjs';

await build({ ...shippedOptions, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js' });
