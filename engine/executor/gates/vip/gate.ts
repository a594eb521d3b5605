import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { selectHosts } from '../../../inventory/index.ts';
import type { VipSpec } from '../../../playbook/types.ts';
import { HapError, type SourcePos } from '../../../source/errors.ts';
import { UnreachableError, type Become } from '../../../transport/types.ts';
import { mergeVars } from '../../../vars/ladder.ts';
import { renderValue } from '../../../vars/interpolate.ts';
import type { HostState } from '../../host.ts';
import type { PlayEnv } from '../../play-env.ts';
import type { Gate, GatePlan } from '../gate.ts';
import { checkVipSpec, type HostAddress, type Sourced } from './check.ts';
import { probe, setMaintenance, type VipTarget } from './probe.ts';
import { checkBatch, describe, fresh, handedOver, holderLast, holders, settled, type VipStatus } from './status.ts';

const POLL_MS = 200;

/**
 * The engine's VIP gate for a play with `vip:`. Before each batch it measures every LB and
 * refuses a batch unless an LB outside it holds or can take the VIP with a backend UP; it
 * puts the batch's LBs in maintenance (keepalived gives up the VIP) and, when the holder is
 * in the batch, waits until the VIP has moved; after the batch it lifts maintenance and waits
 * until those LBs are healthy and exactly one LB holds the VIP.
 */
export class VipGate implements Gate {
  readonly name = 'vip';
  private last?: VipStatus;
  private targetCache?: { hosts: string[]; target: VipTarget };
  /** LBs this gate put in maintenance for the current batch. */
  private held: string[] = [];
  /** LBs of the batch changed in place (handover: false): after() waits for them all the same. */
  private inPlace: string[] = [];

  constructor(
    private readonly env: PlayEnv,
    private readonly spec: VipSpec,
    private readonly stateOf: (host: string) => HostState,
  ) {}

  private note(msg: string): void {
    this.env.ctx.emit({ event: 'vip', msg });
  }

  private lbHosts(): string[] {
    return selectHosts(this.env.ctx.inventory, String(this.rendered('group').value));
  }

  /** A spec value rendered with the first LB's variables, and the file:line it came from. */
  private rendered(key: keyof VipSpec & string, fallback?: unknown): Sourced {
    const raw = this.spec[key] ?? fallback;
    if (typeof raw !== 'string' || !raw.includes('{{')) return { value: raw };
    const first = selectHosts(this.env.ctx.inventory, typeof this.spec.group === 'string' && !this.spec.group.includes('{{') ? this.spec.group : 'all')[0];
    if (!first) return { value: raw };
    const value = renderValue(raw, this.env.varsFor(first, undefined, {}, true), { name: `vip.${key}`, pos: this.spec.pos });
    const name = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(raw)?.[1];
    const origin = name ? mergeVars({ inventory: this.env.ctx.inventory, host: first, play: this.env.play, extra: this.env.ctx.options.extra }).origins[name]?.source : undefined;
    return { value, origin };
  }

  private target(): { hosts: string[]; target: VipTarget } {
    this.targetCache ??= {
      hosts: this.lbHosts(),
      target: {
        address: String(this.rendered('address').value),
        backend: String(this.rendered('backend', 'kube-apiserver').value),
        statsPort: Number(this.rendered('stats_port', 8404).value),
        maintenanceFile: String(this.rendered('maintenance_file', '/etc/keepalived/hap-maintenance').value),
        stateFile: String(this.rendered('state_file', '/run/hap-keepalived.state').value),
      },
    };
    return this.targetCache;
  }

  /** The play's privilege escalation on this LB (the flag file needs root), as its tasks get it. */
  private become(host: string): Become | undefined {
    const vars = this.env.varsFor(host, undefined, {}, true);
    const on = this.env.play.become ?? (vars.ansible_become === true || vars.ansible_become === 'true');
    if (!on) return undefined;
    const user = this.env.play.becomeUser ?? (vars.ansible_become_user as string | undefined) ?? 'root';
    const pw = (vars.ansible_become_password ?? vars.ansible_become_pass) as string | undefined;
    return { user, method: 'sudo', ...(pw !== undefined ? { password: String(pw) } : {}) };
  }

  private address(host: string): HostAddress {
    const { vars, origins } = mergeVars({ inventory: this.env.ctx.inventory, host, extra: this.env.ctx.options.extra });
    const scope = this.env.varsFor(host, undefined, {}, false);
    return { host, address: String(vars.ansible_host === undefined ? host : scope.ansible_host), origin: origins.ansible_host?.source };
  }

  async check(): Promise<{ errors: HapError[]; warnings: string[] }> {
    const inv = this.env.ctx.inventory;
    const backendGroup = this.spec.backend_group === undefined ? undefined : String(this.rendered('backend_group').value);
    const backends = backendGroup === undefined ? undefined : selectHosts(inv, backendGroup).map((h) => this.address(h));
    const unresolved = new Set<string>();
    await Promise.all(
      (backends ?? []).filter((b) => !isIP(b.address)).map((b) => lookup(b.address).catch(() => unresolved.add(b.address))),
    );
    const r = checkVipSpec({
      address: this.rendered('address'),
      prefix: this.rendered('prefix', 32),
      virtualRouterId: this.spec.virtual_router_id === undefined ? undefined : this.rendered('virtual_router_id'),
      group: String(this.rendered('group').value),
      lbs: this.lbHosts().map((h) => this.address(h)),
      hosts: [...inv.hosts.keys()].filter((h) => h !== 'localhost').map((h) => this.address(h)),
      backendGroup,
      backends,
      unresolved,
    });
    const where = this.spec.pos;
    const errors = r.errors.map((p) => new HapError(`vip gate: ${p.msg}`, posOfOrigin(p.origin) ?? where));
    return { errors, warnings: r.warnings.map((w) => `vip gate: ${w}`) };
  }

  /** Probes every LB side by side; an unreachable LB is reported, not thrown. */
  async measure(): Promise<VipStatus> {
    const { hosts, target } = this.target();
    const lbs = await Promise.all(
      hosts.map(async (host) => {
        const state = this.stateOf(host);
        try {
          if (state.unreachable) throw new UnreachableError('unreachable earlier in this run', host);
          return await probe(await state.open(this.env.ctx), host, target, this.become(host));
        } catch (e) {
          if (!(e instanceof UnreachableError)) throw e;
          return { host, reachable: false, error: e.message, holds: false, keepalived: 'unknown', haproxy: 'unknown', maintenance: false };
        }
      }),
    );
    return (this.last = { address: target.address, lbs });
  }

  async plan(hosts: string[], serial: Array<number | string>): Promise<GatePlan> {
    const s = await this.measure();
    if (fresh(s)) {
      this.note(`no LB holds ${s.address} and no keepalived runs: first install, nothing to protect`);
      return { hosts, serial };
    }
    const ordered = holderLast(hosts, s);
    const picked = serial.length ? serial : [1];
    this.note(`VIP ${s.address} on ${holders(s).join(', ') || 'no LB'}; LBs: ${s.lbs.map(describe).join(', ')}; order ${ordered.join(', ')}; serial ${picked.join(', ')}`);
    return { hosts: ordered, serial: picked };
  }

  async before(batch: string[], index: number): Promise<string | undefined> {
    const check = this.env.ctx.options.check;
    const s = (check || index === 0) && this.last ? this.last : await this.measure();
    const label = `batch ${index + 1} [${batch.join(', ')}]`;
    if (fresh(s)) {
      this.note(`${label}: no VIP to protect`);
      return undefined;
    }
    const c = checkBatch(s, batch);
    this.note(`${label}: ${c.message}${c.ok ? '' : ' — REFUSED'}`);
    if (!c.ok) return `vip gate refused ${label}: ${c.message}`;
    const lbs = batch.filter((h) => s.lbs.some((l) => l.host === h));
    if (lbs.length === 0) return undefined;
    if (!this.handover()) {
      // a reload keeps haproxy's listeners: moving the VIP would only cost new connections a SYN retry
      this.note(`${check ? 'would change' : 'changing'} ${lbs.join(', ')} in place (handover: false): the VIP stays on ${holders(s).join(', ') || 'no LB'}`);
      if (!check) this.inPlace = lbs;
      return undefined;
    }
    if (check) {
      this.note(`would put ${lbs.join(', ')} in maintenance${c.handover ? ` and wait until the VIP has left ${holders(s).join(', ')}` : ''}`);
      return undefined;
    }
    const { target } = this.target();
    for (const h of lbs) {
      const r = await setMaintenance(await this.stateOf(h).open(this.env.ctx), target, true, this.become(h));
      if (!r.ok) return `vip gate could not put ${h} in maintenance: ${r.output}`;
      this.held.push(h);
    }
    this.note(`${lbs.join(', ')} in maintenance (${target.maintenanceFile} = 1)`);
    if (!c.handover) return undefined;
    const from = holders(s).join(', ');
    const t0 = this.env.ctx.now();
    const moved = await this.waitFor((x) => handedOver(x, batch), this.timeoutMs(), (x) => [`VIP on ${holders(x).join(', ') || 'no LB'}`]);
    if (!moved.ok) return `the VIP did not leave ${from} within ${this.timeoutMs() / 1000} s: ${moved.why.join('; ')}`;
    this.note(`VIP moved ${from} → ${holders(this.last!).join(', ')} in ${((this.env.ctx.now() - t0) / 1000).toFixed(1)} s`);
    return undefined;
  }

  async after(batch: string[], index: number): Promise<string | undefined> {
    if (this.env.ctx.options.check) return undefined;
    const lbs = [...this.held, ...this.inPlace];
    this.inPlace = [];
    const lifted = await this.release();
    if (lifted) return lifted;
    if (lbs.length === 0) return undefined;
    const t0 = this.env.ctx.now();
    const r = await this.waitFor((s) => settled(s, lbs).ok, this.timeoutMs(), (s) => settled(s, lbs).why);
    if (!r.ok) return `LBs of batch ${index + 1} [${lbs.join(', ')}] not healthy within ${this.timeoutMs() / 1000} s: ${r.why.join('; ')}`;
    this.note(`batch ${index + 1}: ${lbs.join(', ')} healthy again in ${((this.env.ctx.now() - t0) / 1000).toFixed(1)} s; VIP on ${holders(this.last!).join(', ')}`);
    return undefined;
  }

  /** A failed batch leaves the play: its LBs leave maintenance (the haproxy check still guards them). */
  async abort(): Promise<void> {
    const why = await this.release();
    if (why) this.note(why);
  }

  private async release(): Promise<string | undefined> {
    const { target } = this.target();
    const lbs = this.held;
    this.held = [];
    for (const h of lbs) {
      try {
        const r = await setMaintenance(await this.stateOf(h).open(this.env.ctx), target, false, this.become(h));
        if (!r.ok) return `vip gate could not lift maintenance on ${h}: ${r.output}`;
      } catch (e) {
        if (!(e instanceof UnreachableError)) throw e;
        return `vip gate could not lift maintenance on ${h}: ${e.message}`;
      }
    }
    if (lbs.length) this.note(`${lbs.join(', ')} out of maintenance`);
    return undefined;
  }

  private handover(): boolean {
    const v = this.rendered('handover', true).value;
    return !(v === false || v === 'false' || v === 'False');
  }

  private timeoutMs(): number {
    return Number(this.rendered('timeout', 60).value) * 1000;
  }

  private async waitFor(cond: (s: VipStatus) => boolean, timeoutMs: number, why: (s: VipStatus) => string[]): Promise<{ ok: boolean; why: string[] }> {
    const deadline = this.env.ctx.now() + timeoutMs;
    for (;;) {
      const s = await this.measure();
      if (cond(s)) return { ok: true, why: [] };
      if (this.env.ctx.now() >= deadline) return { ok: false, why: why(s) };
      await this.env.ctx.sleep(POLL_MS, this.env.ctx.signal);
    }
  }
}

/** `file:line:col …` (an origin from the ladder) → a position for HapError. */
function posOfOrigin(origin: string | undefined): SourcePos | undefined {
  const m = origin ? /^(.+?):(\d+):(\d+)/.exec(origin) : null;
  return m ? { file: m[1]!, line: Number(m[2]), col: Number(m[3]) } : undefined;
}
