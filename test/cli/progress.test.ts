// Progress bars (§1.2): on stderr only when it is a TTY and neither --json nor --no-progress.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { bar, formatProgress, NO_PROGRESS, ProgressBar, progressEnabled } from '../../src/cli/progress.js';
import type { Progress } from '../../src/native/types.js';
import { CLI, hasScript } from './run.js';

const event = (over: Partial<Progress> = {}): Progress => ({
  phase: 'hash',
  entriesDone: 3,
  entriesTotal: 10,
  bytesDone: 0,
  bytesTotal: 0,
  ...over,
});

describe('progressEnabled', () => {
  it('needs a TTY on stderr and neither --json nor --no-progress', () => {
    const off = { json: false, noProgress: false };
    expect(progressEnabled({ isTTY: true }, off)).toBe(true);
    expect(progressEnabled({ isTTY: false }, off)).toBe(false);
    expect(progressEnabled({}, off)).toBe(false);
    expect(progressEnabled({ isTTY: true }, { json: true, noProgress: false })).toBe(false);
    expect(progressEnabled({ isTTY: true }, { json: false, noProgress: true })).toBe(false);
  });
});

describe('ProgressBar', () => {
  it('redraws in place, fits the terminal width and clears at the end', () => {
    let written = '';
    const b = new ProgressBar({ write: (s: string) => (written += s), columns: 40 });
    b.update(event());
    expect(written).toBe(`\r${'Hashing [=========                     ] 3/10 (30%)'.slice(0, 39)}\x1b[K`);
    written = '';
    b.draw('x');
    b.done();
    expect(written).toBe('\rx\x1b[K\r\x1b[K');
    written = '';
    b.done('final');
    expect(written).toBe('final\n');
  });

  it('shows bytes when the core knows them', () => {
    expect(formatProgress(event({ phase: 'clone', bytesDone: 512 * 1024, bytesTotal: 2 * 1024 * 1024 }))).toBe(
      'Copying [=======                       ] 512.0 KiB/2.0 MiB (25%)',
    );
    expect(bar(0, 0, 4)).toBe('    ');
    expect(bar(9, 3, 4)).toBe('====');
  });

  it('NO_PROGRESS draws nothing', () => {
    NO_PROGRESS.update(event());
    NO_PROGRESS.done('x');
  });
});

describe.skipIf(!hasScript)('under a pseudo-terminal', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-progress-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  // A command's view of output: the real Output over process streams, as app.ts builds it.
  const driver = join(tmp, 'driver.mjs');
  writeFileSync(
    driver,
    `import { Output } from ${JSON.stringify(join(CLI, '..', 'output.js'))};
const [json, noProgress] = process.argv.slice(2).map((a) => a === '1');
const out = new Output({ json, noProgress, debug: false, noColor: false, version: false }, process);
const p = out.progress();
p.update({ phase: 'hash', entriesDone: 1, entriesTotal: 2, bytesDone: 0, bytesTotal: 0 });
p.done();
out.print('done\\n');
`,
  );
  const inTerminal = (...flags: string[]): string =>
    spawnSync('script', ['-qec', `'${process.execPath}' '${driver}' ${flags.join(' ')}`, '/dev/null'], { encoding: 'utf8', input: '' }).stdout;

  it('draws the bar and clears it when stderr is a terminal', () => {
    expect(inTerminal('0', '0')).toBe('\rHashing [===============               ] 1/2 (50%)\x1b[K\r\x1b[Kdone\r\n');
  });

  it('draws nothing with --json or --no-progress, or into a pipe', () => {
    expect(inTerminal('1', '0')).toBe('done\r\n');
    expect(inTerminal('0', '1')).toBe('done\r\n');
    const piped = spawnSync(process.execPath, [driver, '0', '0'], { encoding: 'utf8' });
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toBe('done\n');
  });
});
