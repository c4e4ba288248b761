/**
 * Imported for its effect, before Ink: chalk (through supports-color) reads the environment once,
 * as it loads, and picks truecolour whatever the terminal with these two. FORCE_COLOR alone is
 * only a floor where TERM names a terminal; COLORTERM=truecolor asks for level 3 there.
 */
Object.assign(process.env, { FORCE_COLOR: '3', COLORTERM: 'truecolor' });
