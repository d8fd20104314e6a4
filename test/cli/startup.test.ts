// Start-up cost: `--version`, `--help` and bare groups load no command module, no clipanion and
// no native code; a command loads only its own module. Checked on the modules Node resolves
// (timings are for the benchmark, never for tests).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { CLI } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'jvs-cli-startup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A module-resolution hook that logs every resolved URL (hooks run off the main thread).
writeFileSync(
  join(tmp, 'hooks.mjs'),
  `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.JVS_TEST_MODULE_LOG, r.url + '\\n');
  return r;
}
`,
);
writeFileSync(join(tmp, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);

let n = 0;
/** The modules (package-relative paths, or package names) that `jvs <args>` loads. */
function modulesLoaded(args: string[]): string[] {
  const log = join(tmp, `log${n++}`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', join(tmp, 'register.mjs'), CLI, ...args], {
    cwd: tmp,
    env: { ...process.env, JVS_TEST_MODULE_LOG: log },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith('file:'))
    .map((u) => u.replace(/^.*\/node_modules\/([^/]+)\/.*$/, '$1').replace(/^.*\/dist\//, ''));
}

describe('modules loaded at start-up', () => {
  it('--version, version, --help and help load no command module, no clipanion, no native code', () => {
    for (const args of [['--version'], ['version'], ['--help'], ['init', '--help'], ['help', 'init'], []]) {
      const loaded = modulesLoaded(args);
      expect(loaded, args.join(' ')).toContain('cli/main.js');
      const heavy = loaded.filter((m) => /^cli\/commands\/(?!index)|^cli\/base|^clipanion$|^typanion$|^native\/(?!package-info)|^repo\/repository/.test(m));
      expect(heavy, args.join(' ')).toEqual([]);
    }
  });

  it('a command loads its own module only', () => {
    const loaded = modulesLoaded(['completion', 'bash']);
    expect(loaded).toContain('cli/commands/completion.js');
    expect(loaded).toContain('clipanion');
    // typanion ships CommonJS: loading it through Node's interop is slow (see base.ts).
    expect(loaded).not.toContain('typanion');
    expect(loaded.filter((m) => /^cli\/commands\/(?!index|completion)|^native\/(?!package-info)|^repo\/(?!names)/.test(m))).toEqual([]);
  });
});
