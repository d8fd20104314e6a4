#!/usr/bin/env node
/** The `jvs` executable. */
import { run } from './app.js';

// A reader that went away (`jvs help | head -1`) ends the output, as SIGPIPE ends a Go program.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 1);
  });
}

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
