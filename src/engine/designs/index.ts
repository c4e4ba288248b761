/**
 * The kernel designs the playground can run, by name.
 */
import type { DesignName } from '../command.js';
import type { World } from '../world.js';
import type { Design } from './design.js';
import { hardened } from './hardened.js';
import { upstream } from './upstream.js';
import { v4 } from './v4.js';
import { v5 } from './v5.js';
import { x86 } from './x86.js';

export const designs: Record<DesignName, Design> = { v4, v5, upstream, x86, hardened };

export function designOf(world: World): Design {
  return designs[world.config.design];
}

export function knownDesigns(): DesignName[] {
  return Object.keys(designs) as DesignName[];
}
