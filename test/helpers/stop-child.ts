// Stopping a helper tool's process (Prometheus, Alertmanager, Chromium): SIGTERM, then SIGKILL
// if it is still there after a grace period; resolves once it has exited.
import type { ChildProcess } from 'node:child_process';

export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await closed;
  clearTimeout(timer);
}
