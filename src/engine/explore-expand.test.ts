import { describe, expect, it } from 'vitest';
import type { Command } from './command.js';
import { type Node, fingerprint, startNode } from './explore-expand.js';
import { prepareScenario } from './explore-scenario.js';
import { parseCommand } from './parse.js';
import { parseScript, resolveConfig } from './script.js';
import { copyWorld } from './snapshot.js';
import { applyCommand } from './step.js';
import { stateHash } from './hash.js';

/** Two tasks of different mms on CPUs 0 and 1, both with a user-readable event, IPIs held. */
const setup = `pmuplay 1 cpus=3 policy=v4 perf-user-access=1
spawn a on 0
spawn b on 1
spawn c on 2
open 100 cycles user
open 101 cycles user
explore
program 100: mmap 100 3
`;

function start(): Node {
  const parsed = parseScript(setup);
  if (!parsed.ok) throw new Error('parse');
  const r = prepareScenario(parsed.script, resolveConfig(parsed.script.header, {}));
  if (!r.ok) throw new Error('prepare');
  return startNode(r.prepared.scenario, r.prepared.world);
}

function play(n: Node, lines: string[]): Node {
  const out = { ...n, world: copyWorld(n.world), pos: n.pos.slice() };
  for (const line of lines) {
    const c = parseCommand(line);
    if (!c.ok) throw new Error(line);
    const r = applyCommand(out.world, c.command as Command);
    if (!r.ok) throw new Error(`${line}: ${r.rejection.message}`);
  }
  return out;
}

describe("a state's fingerprint", () => {
  it('meets two orders of taking the same IPIs again: grants renumbered in a fixed order, causes, clock and counts left out', () => {
    const root = start();
    const ab = play(root, ['mmap 100 3', 'deliver 1', 'deliver 2']);
    const ba = play(root, ['mmap 100 3', 'deliver 2', 'deliver 1']);
    // The worlds differ as the engine sees them: which grant is older, their causes' steps, the order of the reports.
    expect(stateHash(ab.world)).not.toBe(stateHash(ba.world));
    expect(fingerprint(ab)).toBe(fingerprint(ba));
  });

  it('keeps apart states that differ in what happens next', () => {
    const root = start();
    const one = play(root, ['mmap 100 3']);
    const both = play(root, ['mmap 100 3', 'mmap 101 3']);
    const taken = play(root, ['mmap 100 3', 'deliver 1']);
    const prints = new Set([root, one, both, taken].map(fingerprint));
    expect(prints.size).toBe(4);
  });

  it('keeps apart a grant already reported under from a newer grant the old report does not cover', () => {
    // CPU 1 runs task 101 (mm 2) with access granted for mm 1: reported once under that grant.
    const leaked = play(start(), ['mmap 100 3', 'deliver 1']);
    const cpu = leaked.world.cpus[1]!;
    expect(cpu.grant).not.toBeNull();
    expect(leaked.world.reported.get(1)?.seq).toBe(cpu.grant!.seq);
    // The same world, but CPU 1's grant is a newer one (as if written again): the report no longer covers it.
    const regranted = { ...leaked, world: copyWorld(leaked.world) };
    regranted.world.grantSeq++;
    regranted.world.cpus[1]!.grant = { ...cpu.grant!, seq: regranted.world.grantSeq };
    expect(fingerprint(regranted)).not.toBe(fingerprint(leaked));
  });

  it('changes nothing in the world it reads', () => {
    const n = play(start(), ['mmap 100 3', 'mmap 101 3', 'deliver 1']);
    const before = stateHash(n.world);
    const grants = n.world.cpus.map((c) => c.grant);
    const calls = n.world.calls;
    const { reported, findingCounts } = n.world;
    const ipis = n.world.cpus.map((c) => c.pendingIpis);
    expect(ipis.some((q) => q.length > 0)).toBe(true);
    fingerprint(n);
    expect(n.world.reported).toBe(reported);
    expect(n.world.findingCounts).toBe(findingCounts);
    n.world.cpus.forEach((c, i) => expect(c.pendingIpis).toBe(ipis[i]));
    expect(stateHash(n.world)).toBe(before);
    expect(n.world.cpus.map((c) => c.grant)).toEqual(grants);
    n.world.cpus.forEach((c, i) => expect(c.grant).toBe(grants[i]));
    expect(n.world.calls).toBe(calls);
  });
});
