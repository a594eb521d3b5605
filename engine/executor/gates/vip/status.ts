/** What the vip gate knows about the load balancers at one moment. Pure parsing and decisions. */

export interface Backend {
  name: string;
  /** haproxy's status column: UP, DOWN, UP 1/2, DOWN 1/3, MAINT, DRAIN, no check … */
  status: string;
  /** Sessions open on the server now (haproxy's scur). */
  sessions?: number;
}

export interface LbState {
  host: string;
  /** The probe ran on the host. */
  reachable: boolean;
  error?: string;
  /** The VIP is on one of the host's interfaces. */
  holds: boolean;
  /** `systemctl is-active` of keepalived and haproxy. */
  keepalived: string;
  haproxy: string;
  /** The VRRP state the notify script wrote last (MASTER, BACKUP, FAULT, STOP), if any. */
  vrrp?: string;
  /** The gate's hand-over flag is set (keepalived then gives up the VIP). */
  maintenance: boolean;
  /** Servers of the haproxy backend; undefined when the stats endpoint did not answer. */
  backends?: Backend[];
}

export interface VipStatus {
  address: string;
  lbs: LbState[];
}

const SECTIONS = ['addr', 'active', 'maint', 'state', 'stats'] as const;
type Section = (typeof SECTIONS)[number];

/** The probe prints each part after a `--hap-<name>--` marker line (see probe.ts). */
export function marker(s: Section): string {
  return `--hap-${s}--`;
}

function sections(text: string): Record<Section, string[]> {
  const out = Object.fromEntries(SECTIONS.map((s) => [s, [] as string[]])) as Record<Section, string[]>;
  let cur: Section | undefined;
  for (const line of text.split('\n')) {
    const hit = SECTIONS.find((s) => line.trim() === marker(s));
    if (hit) cur = hit;
    else if (cur) out[cur].push(line);
  }
  return out;
}

/** Addresses (without prefix) in `ip -o addr show` output. */
export function parseAddresses(lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const m = /\binet6?\s+([0-9a-fA-F.:]+)\//.exec(l);
    if (m) out.push(m[1]!.toLowerCase());
  }
  return out;
}

/** The servers of `backend` in haproxy's `/stats;csv` (first line `# pxname,svname,…`). */
export function parseStatsCsv(lines: string[], backend: string): Backend[] | undefined {
  const head = lines.find((l) => l.startsWith('# pxname,'));
  if (!head) return undefined;
  const cols = head.slice(2).split(',');
  const px = cols.indexOf('pxname');
  const sv = cols.indexOf('svname');
  const st = cols.indexOf('status');
  const cur = cols.indexOf('scur');
  const out: Backend[] = [];
  for (const l of lines) {
    if (l.startsWith('#') || !l.includes(',')) continue;
    const f = l.split(',');
    if (f[px] !== backend || f[sv] === 'FRONTEND' || f[sv] === 'BACKEND') continue;
    out.push({ name: f[sv] ?? '', status: f[st] ?? '', sessions: Number(f[cur] ?? 0) || 0 });
  }
  return out;
}

/** One LB's probe output → its state. */
export function parseProbe(host: string, address: string, backend: string, text: string): LbState {
  const s = sections(text);
  const [keepalived = 'unknown', haproxy = 'unknown'] = s.active.map((l) => l.trim()).filter(Boolean);
  const vrrp = s.state.map((l) => l.trim()).find(Boolean);
  return {
    host,
    reachable: true,
    holds: parseAddresses(s.addr).includes(address.toLowerCase()),
    keepalived,
    haproxy,
    vrrp,
    maintenance: s.maint.some((l) => /^[1-9]/.test(l.trim())),
    backends: parseStatsCsv(s.stats, backend),
  };
}

export const up = (lb: LbState): number => (lb.backends ?? []).filter((b) => b.status.startsWith('UP')).length;

/** Why this LB could not hold the VIP and serve right now (empty: it can). */
export function unfit(lb: LbState): string[] {
  if (!lb.reachable) return [`unreachable${lb.error ? ` (${lb.error})` : ''}`];
  const why: string[] = [];
  if (lb.keepalived !== 'active') why.push(`keepalived ${lb.keepalived}`);
  if (lb.haproxy !== 'active') why.push(`haproxy ${lb.haproxy}`);
  if (lb.maintenance) why.push('in maintenance');
  if (lb.vrrp === 'FAULT' || lb.vrrp === 'STOP') why.push(`VRRP ${lb.vrrp}`);
  if (!lb.backends) why.push('haproxy stats do not answer');
  else if (up(lb) === 0) why.push(`no backend UP (${lb.backends.map((b) => `${b.name} ${b.status}`).join(', ') || 'none'})`);
  return why;
}

export function describe(lb: LbState): string {
  const why = unfit(lb);
  if (why.length) return `${lb.host} (${why.join(', ')})`;
  return `${lb.host} (${lb.holds ? 'holds the VIP, ' : ''}${lb.vrrp ? `${lb.vrrp}, ` : ''}${up(lb)}/${lb.backends!.length} backends UP)`;
}

export const holders = (s: VipStatus): string[] => s.lbs.filter((l) => l.holds).map((l) => l.host);

/** Nothing to protect: no LB holds the VIP and no keepalived runs (a first install). */
export function fresh(s: VipStatus): boolean {
  return holders(s).length === 0 && !s.lbs.some((l) => l.keepalived === 'active');
}

/** The play's hosts with the VIP holder(s) moved last (others keep their order). */
export function holderLast(hosts: string[], s: VipStatus): string[] {
  const h = holders(s);
  return [...hosts.filter((x) => !h.includes(x)), ...hosts.filter((x) => h.includes(x))];
}

export interface BatchCheck {
  ok: boolean;
  /** The reasoning, spelled out for the user and --check. */
  message: string;
  /** The batch holds the VIP: it must be handed over first. */
  handover: boolean;
}

/**
 * May `batch` go now? Some LB outside the batch must hold or be able to take the VIP with at
 * least one backend UP, and the VIP must not be on two LBs at once (split brain).
 */
export function checkBatch(s: VipStatus, batch: string[]): BatchCheck {
  const h = holders(s);
  const outside = s.lbs.filter((l) => !batch.includes(l.host));
  const ready = outside.filter((l) => unfit(l).length === 0);
  const inBatch = s.lbs.filter((l) => batch.includes(l.host));
  const handover = h.some((x) => batch.includes(x));
  let verdict: string;
  let ok = false;
  if (h.length > 1) verdict = `the VIP is on ${h.length} LBs at once (${h.join(', ')}): VRRP split brain, fix that first`;
  else if (ready.length === 0) verdict = `no LB outside this batch can hold the VIP`;
  else {
    ok = true;
    verdict = handover ? `${ready.map((l) => l.host).join(', ')} can take the VIP from ${h[0]}` : `the VIP stays on ${h[0] ?? 'whichever LB takes it'}`;
  }
  const message =
    `${s.lbs.length} LBs, VIP ${s.address} on ${h.join(', ') || 'no LB'}; ` +
    `outside the batch: ${outside.map(describe).join(', ') || 'none'}; ` +
    `in it: ${inBatch.map(describe).join(', ') || 'no LB'} → ${verdict}`;
  return { ok, message, handover };
}

/** The VIP has left the batch: exactly one LB outside it holds it. */
export function handedOver(s: VipStatus, batch: string[]): boolean {
  const h = holders(s);
  return h.length === 1 && !batch.includes(h[0]!);
}

/** Healthy after a batch: each LB of the batch could serve again, and exactly one LB holds the VIP. */
export function settled(s: VipStatus, batch: string[]): { ok: boolean; why: string[] } {
  const why: string[] = [];
  for (const lb of s.lbs.filter((l) => batch.includes(l.host))) {
    const u = unfit(lb);
    if (u.length) why.push(`${lb.host}: ${u.join(', ')}`);
  }
  const h = holders(s);
  if (h.length !== 1) why.push(h.length ? `the VIP is on ${h.join(' and ')}` : 'no LB holds the VIP');
  return { ok: why.length === 0, why };
}
