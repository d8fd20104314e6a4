// Colors (§1.4, D2): per stream; --no-color and NO_COLOR disable, FORCE_COLOR enables, TERM=dumb
// disables, else a TTY decides. Checked on the SGR bytes the built CLI writes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { colorEnabled, palette } from '../../src/cli/color.js';
import { hasScript, jvs, jvsInTerminal } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-color-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const scratch = (): string => mkdtempSync(join(tmp, 's-'));

const ESC = '\x1b';

describe('colorEnabled', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  const on = (stream: { isTTY: boolean }, env: NodeJS.ProcessEnv, noColor = false): boolean => colorEnabled(stream, { noColor, env });

  it('follows the rules in order', () => {
    expect(on(tty, {})).toBe(true);
    expect(on(pipe, {})).toBe(false);
    expect(on(tty, {}, true)).toBe(false);
    expect(on(tty, { NO_COLOR: '' })).toBe(false);
    expect(on(tty, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
    expect(on(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(on(pipe, { FORCE_COLOR: 'true' })).toBe(true);
    expect(on(pipe, { FORCE_COLOR: '0' })).toBe(false);
    expect(on(pipe, { FORCE_COLOR: '' })).toBe(false);
    expect(on(pipe, { FORCE_COLOR: '1' }, true)).toBe(false);
    expect(on(tty, { TERM: 'dumb' })).toBe(false);
    expect(on(pipe, { TERM: 'dumb', FORCE_COLOR: '1' })).toBe(true);
  });

  it('wraps with SGR codes; nested styles end at the inner reset', () => {
    const c = palette(true);
    expect(c.success('x')).toBe(`${ESC}[32mx${ESC}[0m`);
    expect(c.error('x')).toBe(`${ESC}[31mx${ESC}[0m`);
    expect(c.warning('x')).toBe(`${ESC}[33mx${ESC}[0m`);
    expect(c.id('x')).toBe(`${ESC}[36mx${ESC}[0m`);
    expect(c.tag('x')).toBe(`${ESC}[34mx${ESC}[0m`);
    expect(c.header('x')).toBe(`${ESC}[1mx${ESC}[0m`);
    expect(c.dim('x')).toBe(`${ESC}[2mx${ESC}[0m`);
    expect(c.info('x')).toBe(`${ESC}[36mx${ESC}[0m`);
    expect(c.code('x')).toBe(`${ESC}[1m${ESC}[2mx${ESC}[0m`);
    expect(c.dim(`a ${c.id('b')} c`)).toBe(`${ESC}[2ma ${ESC}[36mb${ESC}[0m c${ESC}[0m`);
    expect(palette(false).id('x')).toBe('x');
  });
});

describe('colors of the built CLI', () => {
  const green = (s: string): string => `${ESC}[32m${s}${ESC}[0m`;
  const yellow = (s: string): string => `${ESC}[33m${s}${ESC}[0m`;

  it('none in pipes by default', () => {
    const dir = scratch();
    const r = jvs(['init', 'demo'], { cwd: dir });
    expect(r.stdout).not.toContain(ESC);
    expect(jvs(['init', 'demo'], { cwd: dir }).stderr).toMatch(/^jvs: /);
  });

  it('FORCE_COLOR colors pipes: the path green, the root part of the main path yellow, the error prefix red', () => {
    const dir = scratch();
    const r = jvs(['init', 'demo'], { cwd: dir, env: { FORCE_COLOR: '1' } });
    expect(r.stdout).toBe(`Initialized JVS repository in ${green(`${dir}/demo`)}\n  Main worktree: ${yellow(`${dir}/demo`)}/main\n`);
    const again = jvs(['init', 'demo'], { cwd: dir, env: { FORCE_COLOR: '1' } });
    expect(again.stderr).toBe(`${ESC}[31mjvs:${ESC}[0m failed to initialize repository: E_EXISTS: repository already exists: ${dir}/demo\n`);
    // A lookup block: the first line red, the rest as given.
    expect(jvs(['info'], { cwd: scratch(), env: { FORCE_COLOR: '1' } }).stderr).toBe(
      `${ESC}[31mnot a JVS repository (or any parent)${ESC}[0m\n  Run jvs init <name> to create a new repository.\n`,
    );
    // Usage errors stay bare; JSON is never colored.
    expect(jvs(['nope'], { env: { FORCE_COLOR: '1' } }).stderr).toBe('unknown command "nope" for "jvs"\n');
    expect(jvs(['init', 'demo', '--json'], { cwd: scratch(), env: { FORCE_COLOR: '1' } }).stdout).not.toContain(ESC);
  });

  it('NO_COLOR (even empty), --no-color, FORCE_COLOR=0 and TERM=dumb switch it off', () => {
    for (const [env, args] of [
      [{ FORCE_COLOR: '1', NO_COLOR: '' }, []],
      [{ FORCE_COLOR: '1' }, ['--no-color']],
      [{ FORCE_COLOR: '0' }, []],
      [{ TERM: 'dumb' }, []],
    ] as const) {
      const r = jvs(['init', 'demo', ...args], { cwd: scratch(), env });
      expect(r.stdout, JSON.stringify(env)).not.toContain(ESC);
    }
    // FORCE_COLOR wins over TERM=dumb.
    expect(jvs(['init', 'demo'], { cwd: scratch(), env: { TERM: 'dumb', FORCE_COLOR: '1' } }).stdout).toContain(`${ESC}[32m`);
  });

  it.skipIf(!hasScript)('on a terminal: colored unless NO_COLOR, --no-color or TERM=dumb', () => {
    const dir = scratch();
    const r = jvsInTerminal(['init', 'demo'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`in ${green(`${dir}/demo`)}\r\n`);
    expect(jvsInTerminal(['init', 'demo'], { cwd: dir }).stdout).toContain(`${ESC}[31mjvs:${ESC}[0m failed`);
    for (const [env, args] of [
      [{ NO_COLOR: '' }, []],
      [{}, ['--no-color']],
      [{ TERM: 'dumb' }, []],
    ] as const) {
      const t = jvsInTerminal(['init', 'demo', ...args], { cwd: scratch(), env });
      expect(t.status).toBe(0);
      expect(t.stdout, JSON.stringify({ env, args })).not.toContain(ESC);
    }
  });
});
