import { describe, expect, it } from 'vitest';
import { fileErrorsShownMax } from './limits.js';
import { parseScript } from './script.js';

describe('parseScript: the header and whole files', () => {
  it('refuses a header key given twice, naming the key and its column', () => {
    const r = parseScript('pmuplay 1 seed=1 cpus=2 seed=7\nspawn a\n');
    expect(r).toEqual({ ok: false, errors: [{ line: 1, column: 25, message: "header: duplicate key 'seed'" }], errorCount: 1 });
  });

  it('says the header must be the first line when it is not', () => {
    for (const text of ['# a note\npmuplay 1 seed=1\nspawn a\n', 'spawn a\n  pmuplay 1 seed=1\n']) {
      const r = parseScript(text);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]!.message).toBe('header: the header (pmuplay 1 seed=…) must be the first line of the file');
      expect(r.errors[0]!.message).not.toContain('unknown command');
      expect(r.errors[0]!.line).toBe(2);
    }
  });

  it('keeps the first errors of a file and counts the rest: ten thousand bad lines keep 20', () => {
    const r = parseScript('frobnicate\n'.repeat(10_000));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(fileErrorsShownMax);
    expect(r.errorCount).toBe(10_000);
    expect(r.errors.at(-1)!.line).toBe(fileErrorsShownMax);
  });
});
