// Bundles src/ into dist/ (or the folder given as the first argument): one JavaScript
// and one CSS file plus Leaflet's images under assets/, each named with a hash of its
// content, and index.html pointing at them. The server embeds dist/ (server/build.rs),
// so dist/ is committed; check.sh rebuilds and compares. esbuild is deterministic for
// the same inputs and version, and nothing here depends on the time or the machine.

import * as esbuild from 'esbuild';
import { readFile, writeFile, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] || path.join(here, 'dist'));

await rm(out, { recursive: true, force: true });
await mkdir(path.join(out, 'assets'), { recursive: true });

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: ['src/main.js'],
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  legalComments: 'eof',
  charset: 'utf8',
  outdir: path.join(out, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  loader: { '.png': 'file', '.svg': 'file' },
  publicPath: '/console/assets',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs);
const [jsFile, js] = outputs.find(([, o]) => o.entryPoint === 'src/main.js');
const cssFile = js.cssBundle;
if (!cssFile) throw new Error('esbuild produced no CSS bundle');
const url = (file) => `/console/assets/${path.basename(file)}`;
const html = (await readFile(path.join(here, 'src/index.html'), 'utf8'))
  .replace('%JS%', url(jsFile))
  .replace('%CSS%', url(cssFile));
await writeFile(path.join(out, 'index.html'), html);

const files = outputs.map(([f]) => path.relative(out, path.resolve(here, f))).concat('index.html').sort();
for (const f of files) process.stdout.write(`${f}\n`);
