/**
 * Imported for its effect, before Ink: the environment of an interactive truecolour terminal,
 * whatever runs the tests.
 * - chalk (through supports-color) reads the environment once, as it loads, and picks truecolour
 *   whatever the terminal with these two. FORCE_COLOR alone is only a floor where TERM names a
 *   terminal; COLORTERM=truecolor asks for level 3 there.
 * - Ink (through is-in-ci) reads CI and CONTINUOUS_INTEGRATION once, as it loads, and in CI
 *   writes only a last frame and a newline at unmount; the fixtures are an interactive
 *   terminal's frames, so a CI runner must not change them (as src/main.ts's forgetCi does for
 *   the playground).
 */
Object.assign(process.env, { FORCE_COLOR: '3', COLORTERM: 'truecolor' });
delete process.env['CI'];
delete process.env['CONTINUOUS_INTEGRATION'];
