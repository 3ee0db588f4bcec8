// Measures the release bundle and rewrites the bundle-size section of BENCHMARKS.md.
// Usage: node scripts/bundle-size.mjs <pkg dir> <benchmarks file> <base URL of a release demo>
// The files are sized from disk (raw, gzip -9, brotli 11); each route's cold load is measured in
// Chromium: a new browser context (empty cache, signed in except for the sign-in page), the
// page opened and left until the network is idle, and the bytes of /pkg/ wasm and js counted as
// they came over the wire.
import { launch, demoSession } from './chromium.mjs';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import os from 'node:os';

const [pkgDir, benchFile, base] = process.argv.slice(2);
const GRID_BUDGET_KB = 200;
const ROUTE_BUDGET_KB = 250;
const kb = (n) => (n / 1024).toFixed(1);

// The files, by kind: the main bundle and loader, the route chunks, the shared chunks, and the
// packs (each lazy page's chunks again, in one file: what a cold load of the page fetches).
const files = readdirSync(pkgDir)
  .filter((f) => /\.(wasm|js|css)$/.test(f))
  .map((file) => {
    const data = readFileSync(join(pkgDir, file));
    return {
      file,
      raw: data.length,
      gzip: gzipSync(data, { level: 9 }).length,
      brotli: brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  });
const kinds = [
  ['main bundle (wasm)', (f) => /^reseller-portal\..*\.wasm$/.test(f)],
  ['main bundle (js)', (f) => /^reseller-portal\..*\.js$/.test(f)],
  ['chunk loader (js)', (f) => /^__wasm_split\..*\.js$/.test(f)],
  ['route chunks (wasm)', (f) => /^split_.*\.wasm$/.test(f)],
  ['shared chunks (wasm)', (f) => /^chunk_.*\.wasm$/.test(f)],
  ['page packs (a lazy page\'s chunks in one file, for its cold load)', (f) => /^pack_.*\.wasm$/.test(f)],
  ['stylesheet', (f) => /\.css$/.test(f)],
];
const fileRows = kinds.map(([kind, test]) => {
  const of = files.filter((f) => test(f.file));
  const sum = (key) => of.reduce((s, f) => s + f[key], 0);
  return { kind, count: of.length, raw: sum('raw'), gzip: sum('gzip'), brotli: sum('brotli') };
});
// The packs repeat the chunks: not counted again.
const allCode = files.filter((f) => /\.(wasm|js)$/.test(f.file) && !f.file.startsWith('pack_')).reduce((s, f) => s + f.brotli, 0);

// Cold loads, in Chromium.
const browser = await launch();
const { state: session, customer } = await demoSession(browser, base);

const routes = [
  ['/login', null],
  ['/customers', session],
  ['/customers/new', session],
  [customer, session],
  [`${customer}?tab=users`, session],
  ['/pbx-templates', session],
  ['/users', session],
  ['/account', session],
  ['/billing', session],
  ['/api-access', session],
  ['/activity', session],
  ['/webhooks', session],
  ['/outbox', session],
];
const coldRows = [];
for (const [path, state] of routes) {
  const context = await browser.newContext(state ? { storageState: state } : {});
  const page = await context.newPage();
  const responses = [];
  page.on('response', (r) => responses.push(r));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}${path}`, { waitUntil: 'networkidle' });
  let bytes = 0;
  let count = 0;
  for (const r of responses) {
    if (!/\/pkg\/.*\.(wasm|js)$/.test(new URL(r.url()).pathname)) continue;
    const sizes = await r.request().sizes();
    bytes += sizes.responseBodySize;
    count += 1;
  }
  if (errors.length) throw new Error(`${path}: ${errors.join('; ')}`);
  const label = path.replace(customer, '/customers/{id}');
  coldRows.push({ route: label, bytes, count, budget: label === '/customers' ? GRID_BUDGET_KB : ROUTE_BUDGET_KB });
  await context.close();
}
await browser.close();

const date = new Date().toISOString().slice(0, 10);
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`;
const over = coldRows.filter((r) => r.bytes > r.budget * 1024);
const table = [
  `Measured ${date} on ${machine} by \`scripts/bundle-size\` (release build split by route, wasm-opt).`,
  '',
  'What a cold load of each route transfers (wasm + js on the wire, Chromium, empty cache):',
  '',
  '| route | files | KB | budget KB |',
  '|---|---:|---:|---:|',
  ...coldRows.map((r) => `| ${r.route} | ${r.count} | ${r.bytes > r.budget * 1024 ? '**' + kb(r.bytes) + '** (over)' : kb(r.bytes)} | ${r.budget} |`),
  '',
  'The files:',
  '',
  '| kind | files | raw KB | gzip KB | brotli KB |',
  '|---|---:|---:|---:|---:|',
  ...fileRows.map((r) => `| ${r.kind} | ${r.count} | ${kb(r.raw)} | ${kb(r.gzip)} | ${kb(r.brotli)} |`),
  '',
  `All chunks together (wasm + js, brotli): ${kb(allCode)} KB. ${over.length ? `Over budget: ${over.map((r) => r.route).join(', ')}.` : 'Every route within budget.'}`,
].join('\n');

console.log(table);

const start = '<!-- bundle-size:start -->';
const end = '<!-- bundle-size:end -->';
let text = existsSync(benchFile) ? readFileSync(benchFile, 'utf8') : '# Benchmarks\n';
const block = `${start}\n${table}\n${end}`;
if (text.includes(start) && text.includes(end)) {
  text = text.slice(0, text.indexOf(start)) + block + text.slice(text.indexOf(end) + end.length);
} else {
  text += `\n## Release bundle size\n\n${block}\n`;
}
writeFileSync(benchFile, text);
if (over.length) process.exitCode = 1;
