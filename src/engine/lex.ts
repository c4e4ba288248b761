/**
 * The command language's tokens: words, and quoted strings with the escapes format.ts writes
 * (`\n` `\r` `\t` `\xHH`), each with its column; and how an error repeats a token. The
 * grammar over them is parse.ts.
 */
import { echoLengthMax } from './limits.js';

export interface ParseError {
  /** 1-based column of the offending token (or of the end of the line). */
  column: number;
  message: string;
}

export interface Token {
  text: string;
  column: number;
  quoted: boolean;
}

/** A token as an error message repeats it: at most `echoLengthMax` characters, the cut
 * marked with '…' (never splitting a surrogate pair). */
export function echo(text: string): string {
  if (text.length <= echoLengthMax) return text;
  let cut = echoLengthMax - 1;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return text.slice(0, cut) + '…';
}

export class Fail {
  constructor(readonly error: ParseError) {}
}

export function tokenize(line: string): Token[] | Fail {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '#') break;
    const column = i + 1;
    if (ch === '"') {
      // Plain stretches are taken as slices of the line, not a character at a time: a string
      // built by += is a chain of small pieces, about 30 bytes a character, kept as long as
      // the command is (a file of a million `say` lines is kept whole).
      let text = '';
      i++;
      let from = i;
      let closed = false;
      while (i < line.length) {
        const c = line[i]!;
        if (c === '\\' && i + 1 < line.length) {
          // The escapes format.ts writes: \n \r \t \xHH; any other \c stands for c.
          text += line.slice(from, i);
          const e = line[i + 1]!;
          if (e === 'x') {
            const hex = line.slice(i + 2, i + 4);
            if (!/^[0-9a-fA-F]{2}$/.test(hex)) return new Fail({ column: i + 1, message: `bad escape at column ${i + 1}: expected two hex digits after \\x` });
            text += String.fromCharCode(parseInt(hex, 16));
            i += 4;
          } else {
            text += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e;
            i += 2;
          }
          from = i;
          continue;
        }
        if (c === '"') {
          closed = true;
          break;
        }
        i++;
      }
      text += line.slice(from, i);
      if (closed) i++;
      if (!closed) return new Fail({ column, message: 'unterminated string: expected a closing "' });
      tokens.push({ text, column, quoted: true });
      continue;
    }
    const start = i;
    while (i < line.length) {
      const c = line.charCodeAt(i);
      if (c === 32 || c === 9 || c === 13 || c === 35) break; // space, tab, CR, '#'
      i++;
    }
    tokens.push({ text: line.slice(start, i), column, quoted: false });
  }
  return tokens;
}

/** A whole number as the language spells one: decimal, 0x hex, or with _ between digit groups. */
export function parseUint(text: string): bigint | null {
  if (/^[0-9]+$/.test(text)) return BigInt(text);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return BigInt(text);
  if (/^[0-9]+(_[0-9]+)+$/.test(text)) return BigInt(text.replaceAll('_', ''));
  return null;
}

/** The largest pid a command may name. */
export const pidMax = 999_999;
