// How pmuplay's code is bundled for Node (tools/build.mjs, and the benches' bundles), and what
// the shipped dist/cli.js adds to that. The TUI bench bundles the programs it compares pmuplay
// with as dist/cli.js is bundled (bench/tui-builds.ts).
export const nodeBundle = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
};

export const shippedOptions = {
  ...nodeBundle,
  // Ink loads its devtools only when DEV=true; that optional peer is not installed.
  external: ['./devtools.js'],
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __pmuCreateRequire } from 'node:module'; const require = __pmuCreateRequire(import.meta.url);" },
  minify: true,
  logLevel: 'warning',
};
