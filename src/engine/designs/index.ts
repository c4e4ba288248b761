/**
 * The kernel designs the playground can run, by name.
 */
import type { DesignName } from '../command.js';
import type { World } from '../world.js';
import type { Design } from './design.js';
import { v4 } from './v4.js';

export const designs: Partial<Record<DesignName, Design>> = { v4 };

export function designOf(world: World): Design {
  const design = designs[world.config.design];
  if (!design) throw new Error(`engine bug: design ${world.config.design} is not built`);
  return design;
}

export function knownDesigns(): DesignName[] {
  return Object.keys(designs) as DesignName[];
}
