import { quote } from './quote.ts';
import type { Become, ExecResult } from './types.ts';

/** Printed on stderr by the shell sudo starts: its absence means sudo itself refused. */
const BECAME = '__hap_became__';

/** Wraps a command for sudo when `become` is set (password over stdin, prompt suppressed). */
export function becomeCommand(command: string, become: Become | undefined): string {
  if (!become) return command;
  const prompt = become.password !== undefined ? '-S -p ""' : '-n';
  return `sudo ${prompt} -H -u ${quote(become.user)} /bin/sh -c ${quote(`printf '%s\\n' ${BECAME} >&2\n${command}`)}`;
}

/** Raised when sudo refused to run the command as the become user; says why, in sudo's words. */
export class BecomeError extends Error {
  constructor(user: string, sudoSays: string) {
    super(`become_user '${user}' failed: ${sudoSays || 'sudo exited without running the command'}`);
    this.name = 'BecomeError';
  }
}

/**
 * The command's own result, without the become marker; a BecomeError when sudo never started
 * it (unknown user, no sudoers entry, a password needed or wrong), so that failure is never
 * mistaken for the command's.
 */
export function becomeResult(r: ExecResult, become: Become | undefined): ExecResult {
  if (!become) return r;
  const at = r.stderr.indexOf(`${BECAME}\n`);
  if (at < 0) {
    if (r.rc === 0) return r;
    const sudoSays = r.stderr.split('\n').filter((l) => l.trim() && !/audit plugin/.test(l)).join('; ');
    throw new BecomeError(become.user, sudoSays);
  }
  return { ...r, stderr: r.stderr.slice(0, at) + r.stderr.slice(at + BECAME.length + 1) };
}
