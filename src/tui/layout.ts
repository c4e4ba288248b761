/**
 * How the screen's rows and columns are shared out, as a pure function of the terminal size:
 * the CPU grid first, then the task table and the log share what is left.
 */

export const minWidth = 80;
export const minHeight = 24;
/** Lines of one CPU pane: title, access, PMSELR and IPIs, counters. */
export const paneHeight = 4;
export const paneWidthMin = 38;

/** A caption wraps to at most this many lines; the rows beyond the first come from the log. */
export const captionLinesMax = 3;
/** The log keeps at least this many rows when a caption takes some. */
const logRowsMin = 2;

export type Layout =
  | { fits: false }
  | { fits: true; cols: number; paneWidth: number; gridRows: number; shownCpus: number; taskRows: number; logRows: number };

/** Fixed lines: header, caption, command line, message line, task table header, gaps. */
const fixedLines = 1 + 1 + 1 + 1 + 1 + 2;

/** `captionLines` (1 to `captionLinesMax`): the rows the caption needs, taken from the log. */
export function layout(width: number, height: number, cpus: number, captionLines = 1): Layout {
  if (width < minWidth || height < minHeight) return { fits: false };
  // As many panes a row as fit, then as few as keep the rows as full: 4 CPUs at 120 columns
  // are 2 rows of 2 wide panes, not 3 narrow ones and 1 alone.
  const fit = Math.max(1, Math.min(cpus, Math.floor((width + 1) / (paneWidthMin + 2))));
  const cols = Math.ceil(cpus / Math.ceil(cpus / fit));
  const paneWidth = Math.floor((width - (cols - 1) * 2) / cols);
  const room = height - fixedLines;
  // The grid may take about half the room; the rest is for tasks (at least 3) and log (at least 4).
  const gridRowsMax = Math.max(1, Math.floor((room - 7) / paneHeight));
  const gridRows = Math.min(Math.ceil(cpus / cols), gridRowsMax);
  const shownCpus = Math.min(cpus, gridRows * cols);
  const left = room - gridRows * paneHeight;
  const taskRows = Math.max(3, Math.floor(left * 0.4));
  const extra = Math.max(0, Math.min(captionLinesMax, captionLines) - 1);
  // The caption's extra rows come from the log (at least 4 rows, so it keeps 2): a caption is
  // never cut for room, since a room must read it whole.
  const logRows = Math.max(logRowsMin, Math.max(4, left - taskRows) - extra);
  return { fits: true, cols, paneWidth, gridRows, shownCpus, taskRows, logRows };
}
