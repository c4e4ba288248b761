// Bundles the CLI into one file (dist/cli.js) with esbuild: one file to load instead of
// hundreds of modules, so the playground starts fast. React runs its production build.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  // Ink loads its devtools only when DEV=true; that optional peer is not installed.
  external: ['./devtools.js'],
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __pmuCreateRequire } from 'node:module'; const require = __pmuCreateRequire(import.meta.url);" },
  minify: true,
  logLevel: 'warning',
});
