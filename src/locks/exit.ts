/**
 * Locks held by this process, released when it ends (CONTRACT §3.13): on normal exit and on
 * SIGINT/SIGTERM/SIGHUP. The handlers exist only while a lock is held, so a library user is
 * left with no listeners once its operations have finished.
 *
 * A signal is never swallowed. When our handler is the only listener, the locks are released
 * and the signal is raised again with its default action, so the process dies of it as it would
 * have without us (the shell sees 130, 143, 129). When someone else also listens (a CLI that
 * cancels gracefully, say), that listener decides what the signal means: the locks stay held
 * while the interrupted operation unwinds — releasing them now would let another process in
 * while this one may still be writing — and are released by the operation itself or on exit.
 */
import { closeSync, fsyncSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Each lock (or takeover claim) path with the exact record bytes we published there. A list,
 * not a map: two operations of this process may be after the same lock at once.
 */
const held: { path: string; bytes: Buffer }[] = [];

/** Removes `path` if it still holds our record; synchronous because exit handlers must be. */
function releaseSync(path: string, bytes: Buffer): void {
  try {
    if (!readFileSync(path).equals(bytes)) return;
    unlinkSync(path);
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // The process is ending and there is no one left to tell; a lock that stays behind is
    // stale once we are gone and is taken over by the next command.
  }
}

function releaseAllSync(): void {
  for (const { path, bytes } of held.splice(0)) releaseSync(path, bytes);
  uninstall();
}

const onSignal = (signal: NodeJS.Signals): void => {
  if (process.listenerCount(signal) > 1) return;
  releaseAllSync();
  // With no listener left Node restores the default action, which this raise then triggers.
  process.kill(process.pid, signal);
};

let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', releaseAllSync);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', releaseAllSync);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Registers a record we are about to publish (before it is visible, so no window is missed). */
export function track(path: string, bytes: Buffer): void {
  held.push({ path, bytes });
  install();
}

export function untrack(path: string, bytes: Buffer): void {
  const i = held.findIndex((h) => h.path === path && h.bytes.equals(bytes));
  if (i >= 0) held.splice(i, 1);
  if (held.length === 0) uninstall();
}
