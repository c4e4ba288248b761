import { readFileSync } from 'node:fs';
import { parseScript, resolveConfig } from './src/engine/script.ts';
import { prepareScenario } from './src/engine/explore-scenario.ts';
import { Search } from './src/engine/explore.ts';
import { formatCommand } from './src/engine/format.ts';
const f = process.argv[2]!; const pol = process.argv[3];
const p = parseScript(readFileSync(f, 'utf8')); if (!p.ok) throw new Error(JSON.stringify(p.errors));
const prep = prepareScenario(p.script, resolveConfig(p.script.header, pol ? { design: pol as any } : {}));
if (!prep.ok) { console.log(prep.errors); process.exit(2); }
const s = new Search(prep.prepared);
const t0 = performance.now();
while (!s.run(1000)) {}
const ms = performance.now() - t0;
console.log(s.stats, ms.toFixed(0) + 'ms', (s.stats.distinct / ms * 1000).toFixed(0) + ' distinct/s', (s.stats.generated / ms * 1000).toFixed(0) + ' gen/s');
for (const c of s.found.values()) console.log(c.code, c.choices.map(formatCommand).join('; '), '|', c.finding.text);
console.log('unfinished', s.unfinished());
