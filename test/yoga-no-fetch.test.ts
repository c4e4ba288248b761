/**
 * patches/yoga-layout+3.2.1.patch: Yoga's wasm, embedded as a data: URI, is decoded directly
 * rather than through fetch(), which on Node loads undici and costs 40-70 ms at start.
 */
import { afterAll, expect, it } from 'vitest';

const calls: unknown[] = [];
const realFetch = globalThis.fetch;
globalThis.fetch = ((...args: unknown[]) => {
  calls.push(args[0]);
  return realFetch(...(args as Parameters<typeof fetch>));
}) as typeof fetch;
afterAll(() => void (globalThis.fetch = realFetch));

it('Yoga starts without fetch and lays out a node', async () => {
  const { default: Yoga } = await import('yoga-layout');
  const node = Yoga.Node.create();
  node.setWidth(12);
  node.calculateLayout(undefined, undefined);
  expect(node.getComputedWidth()).toBe(12);
  expect(calls).toEqual([]);
});
