/**
 * The terminal's size, following resizes. A terminal that reports no size (0x0) is taken as
 * 80x24 rather than as too small; a fixed size (tests) overrides it.
 */
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

export interface Size {
  width: number;
  height: number;
}

export function useTerminalSize(fixed?: Size): Size {
  const { stdout } = useStdout();
  const measure = () => ({ width: stdout.columns || 80, height: stdout.rows || 24 });
  const [size, setSize] = useState<Size>(fixed ?? measure());
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(measure());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed]);
  return size;
}
