import { describe, expect, it } from 'vitest';
import { parseScript, resolveConfig } from '../engine/script.js';
import { parseFramed } from './console.js';
import { compareLines, mergeRuns, tally } from './report.js';
import { translate } from './translate.js';

const header = 'pmuplay 1 seed=1 cpus=2 counters=6 long-counters=off policy=upstream cycles-per-tick=1000000 slice=4 perf-user-access=1';

function plan(body: string) {
  const p = parseScript(`${header}\n${body}\n`);
  if (!p.ok) throw new Error(p.errors[0]!.message);
  const t = translate(p.script, resolveConfig(p.script.header, {}));
  if (!t.ok) throw new Error('refused');
  return t.plan;
}

describe('compareLines', () => {
  const p = plan('spawn a on 0\nopen 100 cycles user\nmrs 100 pmccntr\nexpect no-finding');

  it('agrees when the kernel saw what the model did', () => {
    const rows = compareLines(p.lines, parseFramed(['@@kc 3 open fd=3 errno=0', '@@kc 4 mrs reg=pmccntr trap=0 value=5 cpu=0 switches=0 attempt=1']));
    expect(rows.map((r) => r.verdict)).toEqual(['agree', 'agree', 'model only']);
    expect(tally(rows)).toEqual({ agree: 2, disagree: 0, inconclusive: 0, missing: 0, modelOnly: 1 });
  });

  it('disagrees on a trap the model did not have, and says inconclusive when every window saw a switch', () => {
    const rows = compareLines(p.lines, parseFramed(['@@kc 3 open fd=-1 errno=EINVAL', '@@kc 4 mrs reg=pmccntr trap=1 value=0 cpu=0 switches=2 attempt=5']));
    expect(rows[0]!.verdict).toBe('disagree');
    expect(rows[0]!.kernel).toBe('-EINVAL');
    expect(rows[1]!.verdict).toBe('inconclusive');
  });

  it('reports a line the program printed nothing for as missing', () => {
    const rows = compareLines(p.lines, parseFramed(['@@kc 3 open fd=3 errno=0']));
    expect(rows[1]!.verdict).toBe('missing');
  });

  it('says inconclusive, not disagree, when the task cannot read the register an expect reg names', () => {
    const q = plan('spawn a on 0\nsysctl perf_user_access 0\nexpect reg 0 pmselr 0');
    const rows = compareLines(q.lines, parseFramed(['@@kc 3 sysctl ok=1 errno=0', '@@kc 4 expect-reg reg=pmselr trap=1 value=0 cpu=0 switches=0 attempt=1']));
    expect(rows.map((r) => r.verdict)).toEqual(['agree', 'inconclusive']);
  });

  it('says inconclusive when the kernel switched the task since its previous line and the model did not; another run can settle it', () => {
    const q = plan('spawn a on 0\nopen 100 cycles user\nsysctl perf_user_access 0\nmrs 100 pmccntr');
    const first = compareLines(q.lines, parseFramed(['@@kc 3 open fd=3 errno=0', '@@kc 4 sysctl ok=1 errno=0', '@@kc 5 mrs reg=pmccntr trap=0 value=1 cpu=0 switches=0 attempt=1 gap=2']));
    expect(first[2]!.verdict).toBe('inconclusive');
    expect(first[2]!.note).toMatch(/switched 2 times since its previous line, the model's was not/);
    const second = compareLines(q.lines, parseFramed(['@@kc 3 open fd=3 errno=0', '@@kc 4 sysctl ok=1 errno=0', '@@kc 5 mrs reg=pmccntr trap=1 value=0 cpu=0 switches=0 attempt=1 gap=0']));
    expect(mergeRuns(first, second).map((r) => r.verdict)).toEqual(['agree', 'agree', 'agree']);
  });

  it('says inconclusive from the line where the kernel\'s mux timer may have fired before the model\'s tick', () => {
    const q = plan('spawn a on 0\nopen 100 cycles\nopen 100 cycles user 64bit\nexpect read 100 4 fallback\nexpect read 100 4 fallback');
    const read = (line: number, kind: string) => `@@kc ${line} expect-read kind=${kind} value=9 right=1 lo=8 hi=10 switches=0 attempt=1 gap=0`;
    const framed = ['@@kc 3 open fd=3 errno=0', '@@kc 4 mux-align from_ns=1 at_ns=2', '@@kc 4 open fd=4 errno=0', read(5, 'fallback'), '@@kc 6 mux-early interval_ms=300 at_ns=3', read(6, 'value')];
    const rows = compareLines(q.lines, parseFramed(framed));
    expect(rows.map((r) => `${r.line} ${r.verdict}`)).toEqual(['3 agree', '4 agree', '5 agree', '6 inconclusive']);
    expect(rows[3]!.note).toMatch(/mux timer .*line 6 .*300 ms/);
  });
});

