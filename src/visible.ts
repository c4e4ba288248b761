/**
 * Text that came from outside — a file, a flag, the user — as it may reach a terminal: every
 * control character (C0, DEL, C1) spelled out, the way a quoted string in a .pmu file spells
 * it (`\x1b`, `\x9b`, `\x7f`, `\n`, `\r`, `\t`). A file can then neither set the window
 * title, clear the screen, colour the output, move the cursor, nor break a line. Applied to
 * content before our own colours are added; --json output does not need it (JSON escapes).
 */
import { controlEscape } from './engine/format.js';

// eslint-disable-next-line no-control-regex
const control = /[\x00-\x1f\x7f-\x9f]/;
// eslint-disable-next-line no-control-regex
const controls = /[\x00-\x1f\x7f-\x9f]/g;

export function visible(text: string): string {
  return control.test(text) ? text.replace(controls, controlEscape) : text;
}

const rawInJson = /[\x7f-\x9f]/g;

/** One JSON line, exact (parsing it gives the same value back) and safe on a terminal:
 * JSON.stringify escapes C0 but writes DEL and C1 raw, so those become `\u007f`…`\u009f`
 * (inside JSON they can only be in strings). Bigints are written as decimal strings. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).replace(rawInJson, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}
