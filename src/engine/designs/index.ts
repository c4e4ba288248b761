/**
 * The registry: the kernel designs the playground can run, by name, installed into the table
 * `designOf` reads. A new design is one file plus its line here.
 */
import type { DesignName } from '../command.js';
import { type Design, installDesigns } from './design.js';
import { hardened } from './hardened.js';
import { upstream } from './upstream.js';
import { v4 } from './v4.js';
import { v5 } from './v5.js';
import { x86 } from './x86.js';

export const designs: Record<DesignName, Design> = { v4, v5, upstream, x86, hardened };
installDesigns(Object.values(designs));

export { designOf } from './design.js';
