import { KEY_FILE, type LabIds } from './paths.ts';
import { run, waitFor, type RunResult } from './proc.ts';
import { assertRoutedViaBridge } from './net.ts';

/** The machine's ssh client, non-interactive, with the lab key; host keys change every lab. */
export function sshArgv(address: string, command: string, connectTimeoutS = 3): string[] {
  return [
    'ssh', '-i', KEY_FILE, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR', '-o', `ConnectTimeout=${connectTimeoutS}`, '-o', 'IdentitiesOnly=yes', `root@${address}`, command,
  ];
}

/** One SSH command to a lab host, after checking the address is really on the lab bridge. */
export async function labSsh(lab: LabIds, address: string, command: string, timeoutMs = 30_000): Promise<RunResult> {
  await assertRoutedViaBridge(lab, address);
  return run(sshArgv(address, command), { timeoutMs });
}

export async function waitForSsh(lab: LabIds, host: string, address: string, timeoutMs: number): Promise<void> {
  await assertRoutedViaBridge(lab, address);
  await waitFor(`SSH on ${host} (${address})`, timeoutMs, async () => {
    const r = await run(sshArgv(address, 'true', 2), { timeoutMs: 5000 });
    return r.rc === 0 ? true : undefined;
  }, 150);
}
