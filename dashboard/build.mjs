// Builds the dashboard into one index.html, app.js and app.css (what cmake/embed_assets.cmake
// embeds into the binary). Deterministic: the same sources and packages give the same bytes,
// which the ctest dashboard.bundle_is_fresh relies on to compare with the committed dist/.
//   node build.mjs [--modules DIR/node_modules] [--outdir DIR]
import { createRequire } from 'node:module';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]) : fallback;
};
const modules = arg('--modules', path.join(here, 'node_modules'));
const outdir = arg('--outdir', path.join(here, 'dist'));
const esbuild = createRequire(path.join(modules, 'noop.js'))('esbuild');

mkdirSync(outdir, { recursive: true });
await esbuild.build({
  entryPoints: { app: path.join(here, 'src', 'main.js') },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outdir,
  nodePaths: [modules],
  legalComments: 'eof',
  logLevel: 'warning',
});
copyFileSync(path.join(here, 'src', 'index.html'), path.join(outdir, 'index.html'));
