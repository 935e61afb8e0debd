/** Processes the stack starts and must find again: is one alive, and stopping one that outlived its parent. */

/** Whether `pid` is a live process (one owned by another user counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` and waits up to `timeoutMs` for the process to go; true when it has. */
export async function stopProcess(pid: number, signal: NodeJS.Signals, timeoutMs = 10_000): Promise<boolean> {
  process.kill(pid, signal);
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isAlive(pid);
}
