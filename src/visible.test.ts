import { describe, expect, it } from 'vitest';
import { visible } from './visible.js';

describe('visible', () => {
  it('spells out every control character: C0, DEL, C1', () => {
    expect(visible('\x1b]0;pwned\x07\x1b[2J')).toBe('\\x1b]0;pwned\\x07\\x1b[2J');
    expect(visible('a\nb\rc\td\x08e\x7f\x9b\x80\x9f\x00')).toBe('a\\nb\\rc\\td\\x08e\\x7f\\x9b\\x80\\x9f\\x00');
  });

  it('leaves other text alone, backslashes and non-ASCII included', () => {
    for (const text of ['plain', 'C:\\path', 'café » ü 日本 🙂', '\xa0\xff', '']) expect(visible(text)).toBe(text);
  });

  it('leaves no character below U+0020 or in U+007F..U+009F', () => {
    let all = '';
    for (let c = 0; c <= 0xff; c++) all += String.fromCharCode(c);
    // eslint-disable-next-line no-control-regex
    expect(visible(all)).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  });
});
