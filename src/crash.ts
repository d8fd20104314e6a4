/**
 * Named crash points for the crash-safety tests (DESIGN "Safety rules"). When the environment
 * variable JVS_CRASH_AT names a step, the process kills itself with SIGKILL on reaching it —
 * no cleanup, no exit handlers — exactly as a power cut or OOM kill would leave things. Only
 * tests set the variable.
 */
export function crashPoint(step: string): void {
  if (process.env['JVS_CRASH_AT'] === step) process.kill(process.pid, 'SIGKILL');
}
