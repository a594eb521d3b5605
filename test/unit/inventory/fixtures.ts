import { fileURLToPath } from 'node:url';
import { HapError, HapErrors } from '../../../engine/source/errors.ts';

/** The inventory fixtures folder, with a trailing slash. */
export const FIX = fileURLToPath(new URL('../../fixtures/inventory/', import.meta.url));

/** Every error of a failing call, as `file:line:col: message` with paths relative to FIX. */
export async function errorLines(run: () => Promise<unknown> | unknown): Promise<string[]> {
  try {
    await run();
  } catch (e) {
    const list = e instanceof HapErrors ? e.errors : e instanceof HapError ? [e] : undefined;
    if (!list) throw e;
    return list.map((x) => x.toString().split(FIX).join(''));
  }
  throw new Error('expected the call to fail');
}
