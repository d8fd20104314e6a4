// Error rendering (§1.5): the three text shapes, stdout guidance, JSON objects, exit statuses,
// unexpected exceptions as E_IO, stacks only with --debug.
import { describe, expect, it } from 'vitest';

import type { Globals } from '../../src/cli/argv.js';
import { Output } from '../../src/cli/output.js';
import { renderError, renderReportFailure } from '../../src/cli/render-error.js';
import { JvsError, usageError } from '../../src/errors.js';

function render(e: unknown, globals: Partial<Globals> = {}, env: NodeJS.ProcessEnv = {}, path: string[] = ['x']) {
  let stdout = '';
  let stderr = '';
  const out = new Output(
    { json: false, debug: false, noProgress: false, noColor: false, version: false, ...globals },
    { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env },
  );
  const status = renderError(e, out, path);
  return { stdout, stderr, status };
}

const detached = new JvsError('E_DETACHED', 'cannot create snapshot in detached state', {
  hint: 'jvs worktree fork <SHORT> <new-worktree-name> | jvs restore HEAD',
  stdout: '\nYou are currently at snapshot …\n',
});
const block = new JvsError('E_NOT_FOUND', "snapshot 'x' not found", {
  shape: 'block',
  blockLines: ['  Run jvs history to see available snapshots.'],
  hint: 'Run jvs history to see available snapshots.',
});

describe('text mode', () => {
  it('prints a `jvs:` line, a block as is, a usage error bare', () => {
    expect(render(new JvsError('E_IO', 'load config: bad'))).toEqual({ stdout: '', stderr: 'jvs: load config: bad\n', status: 1 });
    expect(render(block)).toEqual({ stdout: '', stderr: "snapshot 'x' not found\n  Run jvs history to see available snapshots.\n", status: 1 });
    expect(render(usageError('unknown flag: --x'))).toEqual({ stdout: '', stderr: 'unknown flag: --x\n', status: 2 });
  });

  it('prints the guidance of a refusal on stdout', () => {
    expect(render(detached)).toEqual({
      stdout: '\nYou are currently at snapshot …\n',
      stderr: 'jvs: cannot create snapshot in detached state\n',
      status: 1,
    });
  });

  it('colors `jvs:` and a block’s first line when stderr has color', () => {
    const env = { FORCE_COLOR: '1' };
    expect(render(new JvsError('E_IO', 'x'), {}, env).stderr).toBe('\x1b[31mjvs:\x1b[0m x\n');
    expect(render(block, {}, env).stderr).toBe("\x1b[31msnapshot 'x' not found\x1b[0m\n  Run jvs history to see available snapshots.\n");
  });

  it('turns unexpected exceptions into E_IO with their message; stacks only with --debug', () => {
    const boom = new TypeError('boom');
    expect(render(boom)).toEqual({ stdout: '', stderr: 'jvs: boom\n', status: 1 });
    const debug = render(boom, { debug: true });
    const lines = debug.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('jvs: boom');
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines.slice(0, -1)) expect(l).toMatch(/^debug: /);
    expect(render('a string').stderr).toBe('jvs: a string\n');
  });
});

describe('JSON mode', () => {
  it('prints one compact object as the last stderr line and nothing on stdout', () => {
    expect(render(detached, { json: true })).toEqual({
      stdout: '',
      stderr: '{"error":{"code":"E_DETACHED","message":"cannot create snapshot in detached state","hint":"jvs worktree fork \\u003cSHORT\\u003e \\u003cnew-worktree-name\\u003e | jvs restore HEAD"}}\n',
      status: 1,
    });
  });

  it('drops embedded classes from the message; usage errors get the command’s help as hint', () => {
    const e = new JvsError('E_NAME_INVALID', 'create worktree: E_NAME_INVALID: name must not be empty');
    expect(render(e, { json: true }).stderr).toBe('{"error":{"code":"E_NAME_INVALID","message":"create worktree: name must not be empty","hint":""}}\n');
    expect(render(usageError('bad'), { json: true }, {}, ['gc', 'run']).stderr).toBe(
      '{"error":{"code":"E_USAGE","message":"bad","hint":"See \'jvs gc run --help\'."}}\n',
    );
    expect(render(new TypeError('boom'), { json: true }).stderr).toBe('{"error":{"code":"E_IO","message":"boom","hint":""}}\n');
  });
});

describe('report failures (verify, unhealthy doctor)', () => {
  const failure = new JvsError('E_PAYLOAD_HASH_MISMATCH', 'E_PAYLOAD_HASH_MISMATCH: payload hash mismatch');
  const report = (globals: Partial<Globals>) => {
    let stdout = '';
    let stderr = '';
    const out = new Output(
      { json: false, debug: false, noProgress: false, noColor: false, version: false, ...globals },
      { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: {} },
    );
    return { status: renderReportFailure(failure, out), stdout, stderr };
  };

  it('text mode adds nothing after the report; JSON mode adds the error object; exit 1', () => {
    expect(report({})).toEqual({ status: 1, stdout: '', stderr: '' });
    expect(report({ json: true })).toEqual({
      status: 1,
      stdout: '',
      stderr: '{"error":{"code":"E_PAYLOAD_HASH_MISMATCH","message":"payload hash mismatch","hint":""}}\n',
    });
  });
});
