/**
 * One measurement of our library in a fresh process (the core — native or fallback — is chosen
 * once per process from JVS_NATIVE, so each variant needs its own process).
 *
 *   node --import tsx bench/run-one.ts hash <dir>
 *   node --import tsx bench/run-one.ts clone <src> <dst> <engine>
 *   node --import tsx bench/run-one.ts noop
 *   node --import tsx bench/run-one.ts snapshot <repo>                  (one library snapshot of main)
 *   node --import tsx bench/run-one.ts snapshot-loop <repo> <scratch> <iterations> <warmup>
 *   node --import tsx bench/run-one.ts diff-loop <repo> <from> <to> <listA> <listB> <iterations> <warmup>
 *   node --import tsx bench/run-one.ts diff-loop-dist …   (the same with the built dist/index.js)
 *
 * The core is loaded before the clock starts; `ms` is the time from just before the call to its
 * resolution. The loops (repo-child.ts) time many iterations in this one process and report them
 * in `result.results`. Prints one JSON line (ChildReport) on stdout; exit status 1 on failure.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { cloneTree, coreInfo, payloadRootHash } from '../src/index.js';
import type { EngineName } from '../src/index.js';
import { diffLoop, snapshotLoop, snapshotOnce, type DiffLib } from './repo-child.js';
import { repoRoot } from './util.js';

export interface ChildReport {
  ok: boolean;
  op: string;
  /** Which core ran: 'native' or 'fallback', and from where. */
  core?: { kind: string; path?: string };
  /** Operation time, ms (absent for noop). */
  ms?: number;
  /** This process's peak RSS (process.resourceUsage().maxRSS), KiB. */
  maxRssKiB: number;
  result?: Record<string, unknown>;
  error?: string;
}

async function main(): Promise<ChildReport> {
  const [op, ...args] = process.argv.slice(2);
  const report: ChildReport = { ok: false, op: op ?? '', maxRssKiB: 0 };
  try {
    if (op === 'noop') {
      report.ok = true;
      return report;
    }
    const info = coreInfo();
    report.core = info.path === undefined ? { kind: info.kind } : { kind: info.kind, path: info.path };
    if (op === 'hash') {
      const [dir] = args;
      if (!dir) throw new Error('usage: hash <dir>');
      const t0 = process.hrtime.bigint();
      const r = await payloadRootHash(dir);
      report.ms = Number(process.hrtime.bigint() - t0) / 1e6;
      report.result = { hash: r.hash, entries: r.entries, bytes: r.bytes };
    } else if (op === 'clone') {
      const [src, dst, engine] = args;
      if (!src || !dst || !engine) throw new Error('usage: clone <src> <dst> <engine>');
      const t0 = process.hrtime.bigint();
      const r = await cloneTree(src, dst, { engine: engine as EngineName });
      report.ms = Number(process.hrtime.bigint() - t0) / 1e6;
      report.result = {
        requested: r.requested,
        engine: r.engine,
        files: r.files,
        dirs: r.dirs,
        bytes: r.bytes,
        fallbacks: r.fallbacks.length,
        firstFallback: r.fallbacks[0] ? `${r.fallbacks[0].from}→${r.fallbacks[0].to}: ${r.fallbacks[0].reason}` : undefined,
        hardlinksSplit: r.hardlinksSplit.length,
        degraded: r.degraded,
      };
    } else if (op === 'snapshot') {
      const [root] = args;
      if (!root) throw new Error('usage: snapshot <repo>');
      Object.assign(report, await snapshotOnce(root));
    } else if (op === 'snapshot-loop') {
      const [root, scratch, iterations, warmup] = args;
      if (!root || !scratch) throw new Error('usage: snapshot-loop <repo> <scratch> <iterations> <warmup>');
      report.result = await snapshotLoop(root, scratch, Number(iterations), Number(warmup));
    } else if (op === 'diff-loop' || op === 'diff-loop-dist') {
      const [root, from, to, listA, listB, iterations, warmup] = args;
      if (!root || !from || !to || !listA || !listB) throw new Error(`usage: ${op} <repo> <from> <to> <listA> <listB> <iterations> <warmup>`);
      // The built library, as the CLI runs it (a path, not a specifier: no compile-time dependency on dist/).
      const lib = op === 'diff-loop-dist' ? ((await import(pathToFileURL(join(repoRoot, 'dist', 'index.js')).href)) as DiffLib) : undefined;
      report.result = await diffLoop(root, from, to, listA, listB, Number(iterations), Number(warmup), lib);
    } else {
      throw new Error(`unknown op ${String(op)}`);
    }
    report.ok = true;
  } catch (e) {
    report.error = e instanceof Error ? `${e.message}${'code' in e ? ` [${String(e.code)}]` : ''}` : String(e);
  }
  return report;
}

const report = await main();
report.maxRssKiB = process.resourceUsage().maxRSS;
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exitCode = report.ok ? 0 : 1;
