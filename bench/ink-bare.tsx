/**
 * Bare Ink programs the TUI bench starts in a terminal beside pmuplay, bundled as dist/cli.js is
 * (bench/tui-builds.ts). `hello`: one <Text>, and it stays up. `ticker`: a screen of text (the
 * terminal's size) that changes every 33 ms, as often as pmuplay's App asks for a frame (App.tsx
 * frameMs), under a header spelled as
 * pmuplay's, so the same counter counts its frames: Ink's own pace for a full screen.
 */
import { Box, Text, render, useStdout } from 'ink';
import { useEffect, useState } from 'react';

function Ticker() {
  const { stdout } = useStdout();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), 33);
    return () => clearInterval(timer);
  }, []);
  const width = stdout.columns || 80;
  const rows = (stdout.rows || 24) - 1;
  return (
    <Box flexDirection="column" width={width} height={rows + 1}>
      <Text inverse bold>{`pmuplay  design ticker  tick ${tick}`.padEnd(width)}</Text>
      {Array.from({ length: rows }, (_, r) => (
        <Text key={r} color={r % 3 === 0 ? 'green' : undefined} dimColor={r % 3 === 1}>
          {`row ${r} tick ${tick} `.repeat(width).slice(0, width - 1)}
        </Text>
      ))}
    </Box>
  );
}

if (process.argv[2] === 'ticker') {
  process.stdout.write('\x1b[?1049h\x1b[H');
  render(<Ticker />);
} else {
  render(<Text>hello from Ink</Text>);
}
