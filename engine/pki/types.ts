/** What a leaf certificate is used for: TLS server (serverAuth) and/or client (clientAuth). */
export type Usage = 'server' | 'client';

/** A self-signed certificate authority, stored as `<dir>/<name>.crt` and `.key`. */
export interface CaSpec {
  /** Path relative to the PKI directory, without extension: `ca`, `etcd/ca`. */
  name: string;
  cn: string;
  days: number;
}

/** A leaf certificate signed by one of the CAs. */
export interface CertSpec {
  /** Path relative to the PKI directory, without extension: `etcd/server-h1`. */
  name: string;
  /** Name of the CaSpec that signs it. */
  ca: string;
  cn: string;
  organization?: string[];
  sans: { dns: string[]; ips: string[] };
  usages: Usage[];
  days: number;
}

/** Key generation settings. node-forge cannot build ECDSA certificates, so RSA only. */
export interface KeyOptions {
  type: 'rsa';
  bits: 2048 | 3072 | 4096;
}

/** The PEM files found on disk for one certificate (any may be missing). */
export interface Existing {
  certPem?: string;
  keyPem?: string;
}

export interface DecideOptions {
  renewBeforeDays: number;
  /** Names to re-issue regardless of state, `all`, or `leaves` (all but the CAs and the service-account key). */
  rotate: readonly string[] | 'all' | 'leaves';
}

export type Decision = { action: 'keep' } | { action: 'issue'; reasons: string[] };

/** A key pair and certificate, PEM-encoded. Keys are PKCS#1 (`RSA PRIVATE KEY`) like kubeadm's. */
export interface Issued {
  certPem: string;
  keyPem: string;
}
