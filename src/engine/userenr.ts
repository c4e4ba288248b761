/**
 * PMUSERENR_EL0's bits (Arm ARM D23.7: EN, SW, CR, ER, and UEN with PMUACR_EL1 on PMUv3.9) and
 * how a person reads a value of it. Plain data and formatting, no state.
 */
export const USERENR_EN = 1 << 0;
export const USERENR_SW = 1 << 1;
export const USERENR_CR = 1 << 2;
export const USERENR_ER = 1 << 3;

export const USERENR_UEN = 1 << 4;

function pmuacrName(mask: number): string {
  const parts: string[] = [];
  for (let n = 0; n < 31; n++) if (mask & (1 << n)) parts.push(`P${n}`);
  if (mask & (1 << 31)) parts.push('C');
  return parts.length === 0 ? 'none' : parts.join(',');
}

export function userenrName(value: number, pmuacr = 0): string {
  const bits = [
    [USERENR_EN, 'EN'],
    [USERENR_SW, 'SW'],
    [USERENR_CR, 'CR'],
    [USERENR_ER, 'ER'],
    [USERENR_UEN, 'UEN'],
  ] as const;
  const names = bits.filter(([bit]) => value & bit).map(([, name]) => name);
  if (names.length === 0) return '0';
  return names.join('|') + (value & USERENR_UEN ? ` ${pmuacrName(pmuacr)}` : '');
}

