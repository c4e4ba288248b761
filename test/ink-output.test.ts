/**
 * The Ink patch (patches/ink+6.8.0.patch) changes how Ink makes a frame, not what it writes: the
 * frames of fixed trees (test/ink-output-cases.tsx) are byte-identical to stock Ink's, recorded in
 * test/ink-output.fixtures.json by test/ink-output-fixtures.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { framesOf } from './ink-output-cases.js';

const expected = JSON.parse(readFileSync(new URL('./ink-output.fixtures.json', import.meta.url), 'utf8')) as Record<string, string[]>;

describe("Ink's frames with the patch", () => {
  const actual = framesOf();

  it('covers the same cases as the fixtures', () => {
    expect(Object.keys(actual)).toEqual(Object.keys(expected));
  });

  for (const name of Object.keys(expected)) {
    it(`are byte-identical to stock Ink's: ${name}`, () => {
      expect(actual[name]).toEqual(expected[name]);
    });
  }
});
