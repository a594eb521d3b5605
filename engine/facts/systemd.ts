import { sh } from '../transport/quote.ts';
import type { ExecResult } from '../transport/types.ts';
import type { Fact } from './types.ts';

/** What systemd knows about one unit. */
export interface UnitState {
  /** 'loaded', 'not-found', 'masked', … */
  loadState: string;
  /** 'active', 'inactive', 'failed', 'activating', … */
  activeState: string;
  /** 'enabled', 'disabled', 'static', 'masked', … ('' for units without a unit file) */
  unitFileState: string;
  /** The unit file changed on disk since systemd last loaded it. */
  needDaemonReload: boolean;
}

const PROPS = 'ActiveState,UnitFileState,LoadState,NeedDaemonReload';

export function unitFact(unit: string): Fact<UnitState> {
  return {
    name: 'systemd-unit',
    command: sh`systemctl show -p ${PROPS} -- ${unit}`,
    parse: (r) => parseUnitState(r, unit),
  };
}

export function parseUnitState(r: ExecResult, unit: string): UnitState {
  if (r.rc !== 0) throw new Error(`systemctl show ${unit} failed: ${r.stderr.trim() || `rc ${r.rc}`}`);
  const props = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) props.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  return {
    loadState: props.get('LoadState') ?? '',
    activeState: props.get('ActiveState') ?? '',
    unitFileState: props.get('UnitFileState') ?? '',
    needDaemonReload: props.get('NeedDaemonReload') === 'yes',
  };
}
