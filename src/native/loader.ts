/**
 * Finds and loads the native module, checks that it is the build of this package version,
 * and otherwise falls back to the pure-TypeScript core.
 *
 * Candidates, in order: the prebuilt per-platform package `jvs-<platform>` (e.g.
 * `jvs-linux-x64-gnu`), then the local build `dist/native/jvs.<platform>.node` written by
 * `npm run build:native`. JVS_NATIVE_LIBRARY names a module file to use instead of both (for
 * development and bug hunts): when set, it is the only candidate.
 *
 * JVS_NATIVE=1 requires the native module (an error lists why each candidate failed);
 * JVS_NATIVE=0 forces the fallback; unset, the native module is used when it loads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { createFallbackCore } from './fallback/index.js';
import { createNativeCore, type Binding } from './native.js';
import { packageRoot, packageVersion } from './package-info.js';
import type { NativeCore } from './types.js';

const require = createRequire(import.meta.url);

export interface CoreInfo {
  kind: NativeCore['kind'];
  /** Where the native module was loaded from (native only). */
  path?: string;
  platform: string;
  /** Why each native candidate was rejected, when the fallback is in use or loading failed. */
  rejected: string[];
}

/** `linux-x64-gnu`, `linux-arm64-musl`, `darwin-arm64`, … as napi-rs names its builds. */
export function platformTag(): string {
  const { platform, arch } = process;
  if (platform !== 'linux') return `${platform}-${arch}`;
  return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
}

/**
 * Whether this Linux links against musl. `ldd` is a script naming its libc on both; it is read
 * first because a process report (the fallback, when there is no ldd) costs ~8 ms, paid by
 * every command.
 */
function isMusl(): boolean {
  try {
    return readFileSync('/usr/bin/ldd', 'latin1').includes('musl');
  } catch {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    return !report?.header?.glibcVersionRuntime;
  }
}

function candidates(tag: string): string[] {
  const explicit = process.env['JVS_NATIVE_LIBRARY'];
  if (explicit) return [explicit];
  const list: string[] = [];
  try {
    list.push(require.resolve(`jvs-${tag}`));
  } catch {
    // No prebuilt package for this platform installed: the local build is next.
  }
  const local = join(packageRoot, 'dist', 'native', `jvs.${tag}.node`);
  if (existsSync(local)) list.push(local);
  return list;
}

function tryLoad(path: string): Binding {
  const binding = require(path) as Binding;
  const version = binding.coreVersion();
  if (version !== packageVersion) {
    throw new Error(`version ${version} does not match package version ${packageVersion} (stale build? run npm run build:native)`);
  }
  return binding;
}

/** Loads the native module, or says why each candidate was rejected. Never falls back. */
export function loadNativeCore(): { core?: NativeCore; path?: string; rejected: string[] } {
  const tag = platformTag();
  const rejected: string[] = [];
  const list = candidates(tag);
  if (list.length === 0) rejected.push(`no native module for ${tag} (looked for package jvs-${tag} and dist/native/jvs.${tag}.node)`);
  for (const path of list) {
    try {
      return { core: createNativeCore(tryLoad(path)), path, rejected };
    } catch (e) {
      rejected.push(`${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { rejected };
}

function load(): { core: NativeCore; info: CoreInfo } {
  const mode = process.env['JVS_NATIVE'];
  const platform = platformTag();
  if (mode === '0') return { core: createFallbackCore(), info: { kind: 'fallback', platform, rejected: ['JVS_NATIVE=0'] } };
  const native = loadNativeCore();
  if (native.core) return { core: native.core, info: { kind: 'native', path: native.path!, platform, rejected: native.rejected } };
  if (mode === '1') {
    throw new Error(`JVS_NATIVE=1 but the native module cannot be loaded:\n  ${native.rejected.join('\n  ')}`);
  }
  return { core: createFallbackCore(), info: { kind: 'fallback', platform, rejected: native.rejected } };
}

let loaded: { core: NativeCore; info: CoreInfo } | undefined;

/** The core in use (loaded once, on first use). */
export function getCore(): NativeCore {
  loaded ??= load();
  return loaded.core;
}

/** What was loaded and why: for `jvs doctor`-style diagnostics and bug reports. */
export function coreInfo(): CoreInfo {
  loaded ??= load();
  return loaded.info;
}
