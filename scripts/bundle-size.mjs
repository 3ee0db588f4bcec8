// Measures the release bundle and rewrites the bundle-size section of BENCHMARKS.md.
// Usage: node scripts/bundle-size.mjs <pkg dir> <benchmarks file>
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import os from 'node:os';

const [pkgDir, benchFile] = process.argv.slice(2);
const BUDGET_KB = 300;
const kb = (n) => (n / 1024).toFixed(1);

const rows = readdirSync(pkgDir)
  .filter((f) => /\.(wasm|js|css)$/.test(f))
  .sort()
  .map((file) => {
    const data = readFileSync(join(pkgDir, file));
    return {
      // Without the content hash, so the table reads the same from build to build.
      file: file.replace(/\.[A-Za-z0-9_-]{22}\./, '.'),
      raw: data.length,
      gzip: gzipSync(data, { level: 9 }).length,
      brotli: brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  });
const code = rows.filter((r) => /\.(wasm|js)$/.test(r.file)).reduce((sum, r) => sum + r.brotli, 0);
const date = new Date().toISOString().slice(0, 10);
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`;

const table = [
  `Measured ${date} on ${machine} by \`scripts/bundle-size\` (release build, wasm-opt).`,
  '',
  '| file | raw KB | gzip KB | brotli KB |',
  '|---|---:|---:|---:|',
  ...rows.map((r) => `| ${r.file} | ${kb(r.raw)} | ${kb(r.gzip)} | ${kb(r.brotli)} |`),
  '',
  `wasm + js, brotli: **${kb(code)} KB** of the ${BUDGET_KB} KB budget (${code <= BUDGET_KB * 1024 ? 'within' : 'OVER'} budget).`,
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
if (code > BUDGET_KB * 1024) process.exitCode = 1;
