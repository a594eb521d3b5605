import { join } from 'node:path';
import { KUBEADM_DEFAULTS, hostFiles, kubeadmLayout, type KubeadmLayoutInput, type PkiHost } from '../pki/kubeadm.ts';
import { planPki, type PkiIo, type PkiRequest } from '../pki/plan.ts';
import type { CaSpec, CertSpec, KeyOptions, Usage } from '../pki/types.ts';
import { sh } from '../transport/quote.ts';
import { isVaulted } from '../vault/format.ts';
import { decryptIfVaulted } from '../vault/controller-files.ts';
import type { Plan } from './types.ts';
import type { ModuleContext, ModuleDef } from './types.ts';

interface HostArg {
  name: string;
  addresses?: string[];
}
type HostsArg = HostArg[] | Record<string, string | string[]>;

export interface PkiArgs {
  dir: string;
  cas?: Array<{ name: string; cn: string; days?: number }>;
  certs?: Array<{
    name: string;
    ca: string;
    cn: string;
    organization?: string[];
    sans?: { dns?: string[]; ips?: string[] };
    usages: Usage[];
    days?: number;
  }>;
  /** Expands to kubeadm's full certificate set (added before `cas`/`certs`). */
  kubeadm?: {
    /** `[{name, addresses}]`, or `{name: address}` / `{name: [addresses]}` */
    etcd_members: HostsArg;
    control_plane: HostsArg;
    /** hosts that only need the cluster CA certificate (load balancers checking /readyz) */
    ca_only?: string[];
    endpoints?: string[];
    service_cidr?: string;
    cluster_domain?: string;
    extra_sans?: string[];
    kubelet_client_organization?: string[];
    apiserver_etcd_client_organization?: string[];
  };
  service_account?: boolean;
  key_type?: 'rsa' | 'ecdsa';
  key_size?: 2048 | 3072 | 4096;
  ca_days?: number;
  cert_days?: number;
  renew_before_days?: number;
  /** Keep the CA private keys on the controller encrypted with the vault password. */
  vault_keys?: boolean;
  rotate?: string[] | 'all' | 'leaves';
}

const strings = { type: 'array', items: { type: 'string' } };
const days = { type: 'integer', minimum: 1 };
const hosts = {
  anyOf: [
    {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: { name: { type: 'string', minLength: 1 }, addresses: strings },
      },
    },
    { type: 'object', additionalProperties: { anyOf: [{ type: 'string' }, strings] } },
  ],
};

const schema = {
  type: 'object',
  required: ['dir'],
  additionalProperties: false,
  properties: {
    dir: { type: 'string', minLength: 1 },
    cas: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'cn'],
        additionalProperties: false,
        properties: { name: { type: 'string', minLength: 1 }, cn: { type: 'string', minLength: 1 }, days },
      },
    },
    certs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'ca', 'cn', 'usages'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1 },
          ca: { type: 'string', minLength: 1 },
          cn: { type: 'string', minLength: 1 },
          organization: strings,
          sans: { type: 'object', additionalProperties: false, properties: { dns: strings, ips: strings } },
          usages: { type: 'array', minItems: 1, items: { enum: ['server', 'client'] } },
          days,
        },
      },
    },
    kubeadm: {
      type: 'object',
      required: ['etcd_members', 'control_plane'],
      additionalProperties: false,
      properties: {
        etcd_members: hosts,
        control_plane: hosts,
        ca_only: strings,
        endpoints: strings,
        service_cidr: { type: 'string' },
        cluster_domain: { type: 'string' },
        extra_sans: strings,
        kubelet_client_organization: strings,
        apiserver_etcd_client_organization: strings,
      },
    },
    service_account: { type: 'boolean' },
    key_type: { enum: ['rsa', 'ecdsa'] },
    key_size: { enum: [2048, 3072, 4096] },
    ca_days: days,
    cert_days: days,
    renew_before_days: { type: 'integer', minimum: 0 },
    rotate: { anyOf: [{ enum: ['all', 'leaves'] }, strings] },
    vault_keys: { type: 'boolean' },
  },
} as const;

/**
 * Keeps a kubeadm-layout PKI on the host it runs on (the role delegates it to the
 * controller, run_once) and issues only what is missing, stale or rotated.
 */
export const pkiModule: ModuleDef<PkiArgs> = {
  name: 'pki',
  schema,
  async plan(args, ctx) {
    if (args.key_type === 'ecdsa') {
      return { status: 'failed', msg: 'key_type ecdsa is not supported: node-forge cannot build ECDSA certificates; use rsa' };
    }
    let request: PkiRequest;
    try {
      request = toRequest(args);
    } catch (e) {
      return { status: 'failed', msg: (e as Error).message };
    }
    const caKeys = new Set(request.cas.map((c) => join(args.dir, `${c.name}.key`)));
    if (args.vault_keys && !ctx.vault?.secrets.length) {
      return { status: 'failed', msg: 'vault_keys: the CA keys are kept vault-encrypted, so a vault password is needed: --vault-password-file FILE or ANSIBLE_VAULT_PASSWORD_FILE' };
    }
    const io = transportIo(ctx, args.vault_keys ? caKeys : new Set());
    const plan = withVaultedKeys(await planPki(request, io, new Date()), args.vault_keys ? await plainCaKeys(caKeys, ctx) : [], io);
    if (!args.kubeadm || plan.status === 'failed') return plan;
    const layout = kubeadmHosts(args.kubeadm);
    const caOnly = args.kubeadm.ca_only ?? [];
    const files = Object.fromEntries(
      [...new Set([...layout.etcdMembers, ...layout.controlPlane].map((h) => h.name).concat(caOnly))].map((host) => [
        host,
        hostFiles({ ...layout, caOnly }, host).map((f) => ({ ...f, src: join(args.dir, f.src) })),
      ]),
    );
    return { ...plan, result: { ...plan.result, files } };
  },
};

/** Module arguments → a PkiRequest with defaults applied. */
export function toRequest(args: PkiArgs): PkiRequest {
  const caDays = args.ca_days ?? KUBEADM_DEFAULTS.caDays;
  const certDays = args.cert_days ?? KUBEADM_DEFAULTS.certDays;
  const cas: CaSpec[] = [];
  const certs: CertSpec[] = [];
  if (args.kubeadm) {
    const k = args.kubeadm;
    const layout = kubeadmLayout({
      ...kubeadmHosts(k),
      endpoints: k.endpoints ?? [],
      serviceCidr: k.service_cidr ?? KUBEADM_DEFAULTS.serviceCidr,
      clusterDomain: k.cluster_domain ?? KUBEADM_DEFAULTS.clusterDomain,
      extraApiserverSans: k.extra_sans ?? [],
      caDays,
      certDays,
      kubeletClientOrganization: k.kubelet_client_organization ?? [...KUBEADM_DEFAULTS.kubeletClientOrganization],
      apiserverEtcdClientOrganization: k.apiserver_etcd_client_organization ?? [...KUBEADM_DEFAULTS.apiserverEtcdClientOrganization],
    });
    cas.push(...layout.cas);
    certs.push(...layout.certs);
  }
  for (const ca of args.cas ?? []) cas.push({ name: ca.name, cn: ca.cn, days: ca.days ?? caDays });
  for (const c of args.certs ?? []) {
    certs.push({
      name: c.name,
      ca: c.ca,
      cn: c.cn,
      organization: c.organization,
      sans: { dns: c.sans?.dns ?? [], ips: c.sans?.ips ?? [] },
      usages: c.usages,
      days: c.days ?? certDays,
    });
  }
  const key: KeyOptions = { type: 'rsa', bits: args.key_size ?? 2048 };
  return {
    dir: args.dir,
    cas,
    certs,
    serviceAccount: args.service_account ?? true,
    key,
    renewBeforeDays: args.renew_before_days ?? 30,
    rotate: args.rotate ?? [],
  };
}

function kubeadmHosts(k: NonNullable<PkiArgs['kubeadm']>): Pick<KubeadmLayoutInput, 'etcdMembers' | 'controlPlane'> {
  const list = (hs: HostsArg): PkiHost[] =>
    Array.isArray(hs)
      ? hs.map((h) => ({ name: h.name, addresses: h.addresses ?? [] }))
      : Object.entries(hs).map(([name, a]) => ({ name, addresses: Array.isArray(a) ? a : [a] }));
  return { etcdMembers: list(k.etcd_members), controlPlane: list(k.control_plane) };
}

/**
 * Reads and writes go through the transport, so check mode and --diff work through the runner.
 * Vault-encrypted files are decrypted on read; the paths in `vaulted` are encrypted on write.
 */
function transportIo(ctx: ModuleContext, vaulted: ReadonlySet<string>): PkiIo {
  const become = ctx.become;
  return {
    async read(path) {
      const buf = await ctx.transport.readFile(path, { become });
      return buf === null ? undefined : decryptIfVaulted(buf, path, ctx.vault).data.toString('utf8');
    },
    async write(path, data, mode) {
      await ctx.transport.writeFile(path, vaulted.has(path) ? ctx.vault!.encrypt(data) : data, { mode, become });
    },
    async mkdirp(dir) {
      const r = await ctx.transport.exec(sh`mkdir -p ${dir}`, { become });
      if (r.rc !== 0) throw new Error(`mkdir -p ${dir} failed: ${r.stderr.trim()}`);
    },
  };
}

/** CA keys that exist in plain text although they should be vault-encrypted. */
async function plainCaKeys(caKeys: ReadonlySet<string>, ctx: ModuleContext): Promise<string[]> {
  const out: string[] = [];
  for (const path of caKeys) {
    const raw = await ctx.transport.readFile(path, { become: ctx.become });
    if (raw !== null && !isVaulted(raw)) out.push(path);
  }
  return out;
}

/** Adds one change per plain CA key: encrypt it in place with the vault. */
function withVaultedKeys(plan: Plan, plain: string[], io: PkiIo): Plan {
  if (!plain.length || plan.status === 'failed' || plan.status === 'skipped') return plan;
  const changes = plain.map((path) => ({
    summary: `encrypt ${path} with the vault`,
    apply: async () => {
      const text = await io.read(path);
      if (text !== undefined) await io.write(path, text, 0o600);
    },
  }));
  return plan.status === 'change' ? { ...plan, changes: [...plan.changes, ...changes] } : { status: 'change', changes, msg: plan.msg, result: plan.result };
}
