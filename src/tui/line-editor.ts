/**
 * The command line as a value: the text, the cursor, and the history with a draft kept while
 * browsing it. Every edit returns a new value.
 */

export interface LineState {
  text: string;
  cursor: number;
  history: string[];
  /** Index into history while browsing it (null: editing the draft). */
  browsing: number | null;
  draft: string;
}

export const historyMax = 500;

export const emptyLine: LineState = { text: '', cursor: 0, history: [], browsing: null, draft: '' };

export function insert(s: LineState, text: string): LineState {
  return { ...s, text: s.text.slice(0, s.cursor) + text + s.text.slice(s.cursor), cursor: s.cursor + text.length, browsing: null };
}

export function eraseBack(s: LineState): LineState {
  if (s.cursor === 0) return s;
  return { ...s, text: s.text.slice(0, s.cursor - 1) + s.text.slice(s.cursor), cursor: s.cursor - 1, browsing: null };
}

export function moveCursor(s: LineState, to: 'left' | 'right' | 'home' | 'end'): LineState {
  const cursor = to === 'left' ? Math.max(0, s.cursor - 1) : to === 'right' ? Math.min(s.text.length, s.cursor + 1) : to === 'home' ? 0 : s.text.length;
  return { ...s, cursor };
}

export function killLine(s: LineState): LineState {
  return { ...s, text: '', cursor: 0, browsing: null };
}

/** Up (-1) goes to older entries; down (+1) back towards the draft. */
export function browse(s: LineState, direction: -1 | 1): LineState {
  if (s.history.length === 0) return s;
  const from = s.browsing ?? s.history.length;
  const to = Math.max(0, Math.min(s.history.length, from + direction));
  if (to === s.history.length) return { ...s, browsing: null, text: s.draft, cursor: s.draft.length };
  const draft = s.browsing === null ? s.text : s.draft;
  const text = s.history[to]!;
  return { ...s, browsing: to, draft, text, cursor: text.length };
}

/** An accepted line joins the history (not twice in a row) and the line empties. */
export function accept(s: LineState): LineState {
  const line = s.text.trim();
  const history = line && s.history[s.history.length - 1] !== line ? [...s.history, line].slice(-historyMax) : s.history;
  return { text: '', cursor: 0, history, browsing: null, draft: '' };
}

export function setText(s: LineState, text: string): LineState {
  return { ...s, text, cursor: text.length, browsing: null };
}
