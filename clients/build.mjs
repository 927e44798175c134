// Builds every browser app into dist/<app>/ (served by haven via clients.FS).
// An app is a folder with src/main.js and index.html; its *.html and *.css
// are copied, fonts come from npm packages (no CDN at run time), and the
// go-i18n message files of the app's area are flattened into
// messages/<locale>.json as the offline fallback.
//   node build.mjs            build all apps
//   node build.mjs webxr      build one
import { build } from 'esbuild';
import { cp, mkdir, readdir, readFile, rm, writeFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const locales = join(root, '..', 'i18n', 'locales');
const FONTS = [
  'node_modules/@embedpdf/fonts-latin/fonts/NotoSans-Regular.ttf',
  'node_modules/@embedpdf/fonts-arabic/fonts/NotoNaskhArabic-Regular.ttf',
  'node_modules/@embedpdf/fonts-sc/fonts/NotoSansHans-Regular.otf',
];
// message areas each app needs offline (the server's /api/i18n/messages is authoritative)
const AREAS = { webxr: ['client'], console: ['console'], room: ['group'] };

async function apps(only) {
  const found = [];
  for (const name of await readdir(root)) {
    if (only.length && !only.includes(name)) continue;
    if (existsSync(join(root, name, 'src', 'main.js')) && existsSync(join(root, name, 'index.html'))) found.push(name);
  }
  return found;
}

async function messages(app, out) {
  if (!existsSync(locales)) return 0;
  const merged = {};
  for (const file of await readdir(locales)) {
    const m = file.match(/^([a-z]+)\.(.+)\.json$/);
    if (!m || !(AREAS[app] || []).includes(m[1])) continue;
    const data = JSON.parse(await readFile(join(locales, file), 'utf8'));
    const flat = (merged[m[2]] ||= {});
    for (const [id, msg] of Object.entries(data)) flat[id] = typeof msg === 'string' ? msg : msg.other ?? '';
  }
  await mkdir(join(out, 'messages'), { recursive: true });
  for (const [locale, msgs] of Object.entries(merged)) {
    const dir = /^(ar|he|fa|ur)\b/.test(locale) ? 'rtl' : 'ltr';
    await writeFile(join(out, 'messages', `${locale}.json`), JSON.stringify({ locale, dir, messages: msgs }));
  }
  return Object.keys(merged).length;
}

async function buildApp(app) {
  const out = join(root, 'dist', app);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await build({
    entryPoints: { app: join(root, app, 'src', 'main.js') },
    outdir: out, bundle: true, format: 'esm', splitting: true, minify: true, sourcemap: false,
    target: ['chrome110', 'firefox115', 'safari16'], chunkNames: 'chunks/[name]-[hash]', logLevel: 'warning',
  });
  for (const f of await readdir(join(root, app))) {
    if (/\.(html|css|svg|ico|webmanifest)$/.test(f)) await cp(join(root, app, f), join(out, f));
  }
  await mkdir(join(out, 'fonts'), { recursive: true });
  for (const f of FONTS) await cp(join(root, f), join(out, 'fonts', f.split('/').pop()));
  const n = await messages(app, out);
  const size = (await stat(join(out, 'app.js'))).size;
  console.log(`built ${app}: app.js ${(size / 1024).toFixed(0)} KiB, ${n} locales`);
}

const only = process.argv.slice(2);
const list = await apps(only);
if (!list.length) { console.error('build: no app found'); process.exit(1); }
let failed = 0;
for (const app of list) {
  try { await buildApp(app); } catch (err) { failed++; console.error(`build: ${app}: ${err.message.split('\n')[0]}`); }
}
if (failed) process.exit(1);
