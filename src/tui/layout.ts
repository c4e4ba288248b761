/**
 * How the screen's rows and columns are shared out, as a pure function of the terminal size:
 * the CPU grid first, then the task table and the log share what is left.
 */

export const minWidth = 80;
export const minHeight = 24;
/** Lines of one CPU pane: title, access, PMSELR and IPIs, counters. */
export const paneHeight = 4;
export const paneWidthMin = 38;

export type Layout =
  | { fits: false }
  | { fits: true; cols: number; paneWidth: number; gridRows: number; shownCpus: number; taskRows: number; logRows: number };

/** Fixed lines: header, caption, command line, message line, task table header, gaps. */
const fixedLines = 1 + 1 + 1 + 1 + 1 + 2;

export function layout(width: number, height: number, cpus: number): Layout {
  if (width < minWidth || height < minHeight) return { fits: false };
  const cols = Math.max(1, Math.min(cpus, Math.floor((width + 1) / (paneWidthMin + 2))));
  const paneWidth = Math.floor((width - (cols - 1) * 2) / cols);
  const room = height - fixedLines;
  // The grid may take about half the room; the rest is for tasks (at least 3) and log (at least 4).
  const gridRowsMax = Math.max(1, Math.floor((room - 7) / paneHeight));
  const gridRows = Math.min(Math.ceil(cpus / cols), gridRowsMax);
  const shownCpus = Math.min(cpus, gridRows * cols);
  const left = room - gridRows * paneHeight;
  const taskRows = Math.max(3, Math.floor(left * 0.4));
  const logRows = Math.max(4, left - taskRows);
  return { fits: true, cols, paneWidth, gridRows, shownCpus, taskRows, logRows };
}
