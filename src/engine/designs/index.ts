/**
 * The registry: the kernel designs the playground can run, by name, installed into the table
 * `designOf` reads. A new design is one file plus its line here.
 */
import { type Design, installDesigns } from './design.js';
import { hardened } from './hardened.js';
import { upstream } from './upstream.js';
import { v4 } from './v4.js';
import { v5 } from './v5.js';
import { x86 } from './x86.js';

export const designs = { v4, v5, upstream, x86, hardened } satisfies Record<string, Design>;
export type DesignName = keyof typeof designs;
export const designNames = Object.keys(designs) as DesignName[];
installDesigns(Object.values(designs));

export { designOf } from './design.js';
