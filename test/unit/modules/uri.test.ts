import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalTransport } from '../../../engine/transport/local.ts';
import { runModule } from '../../support/run-module.ts';

let dir: string;
let open: Server;
let mtls: Server;
let base: string;
let mtlsBase: string;
const t = new LocalTransport('local');
const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

/** A throwaway CA, a server cert for 127.0.0.1 and a client cert, all signed by the CA. */
async function makePki(): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=hap-test-ca');
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ssl('req', '-new', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=hap-${who}`);
    ssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', `${who}.crt`, '-extfile', `${who}.ext`);
  }
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`https://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hap-uri-'));
  await makePki();
  const tls = { key: await readFile(join(dir, 'server.key')), cert: await readFile(join(dir, 'server.crt')), ca: await readFile(join(dir, 'ca.crt')) };
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const status = /^\/status\/(\d+)/.exec(req.url ?? '')?.[1];
      if (status) return void res.writeHead(Number(status), { 'content-type': 'text/plain' }).end(`status ${status}`);
      if (req.url === '/redirect') return void res.writeHead(302, { location: '/health' }).end();
      if (req.url === '/health') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.writeHead(200, { 'content-type': 'application/json', 'x-hap': 'yes' });
      res.end(JSON.stringify({ method: req.method, body, contentType: req.headers['content-type'] ?? null, token: req.headers['x-token'] ?? null, client: peer?.subject?.CN ?? null }));
    });
  };
  open = createServer({ ...tls }, handler);
  mtls = createServer({ ...tls, requestCert: true, rejectUnauthorized: true }, handler);
  base = await listen(open);
  mtlsBase = await listen(mtls);
});

afterAll(async () => {
  open?.close();
  mtls?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('uri (curl on the host)', () => {
  it('GETs JSON with the CA from ca_path: ok, parsed json, headers', async () => {
    const r = await runModule('uri', { url: `${base}/info`, ca_path: join(dir, 'ca.crt'), headers: { 'X-Token': 'abc' } }, { transport: t });
    expect(r.status).toBe('ok');
    expect(r.result).toMatchObject({ status: 200, url: `${base}/info`, json: { method: 'GET', token: 'abc', client: null } });
    expect((r.result.headers as Record<string, string>)['x-hap']).toBe('yes');
    expect(r.result.content).toBeUndefined();
  });

  it('returns content when asked', async () => {
    const r = await runModule('uri', { url: `${base}/health`, ca_path: join(dir, 'ca.crt'), return_content: true }, { transport: t });
    expect(r.result).toMatchObject({ status: 200, content: 'ok' });
  });

  it('fails certificate verification without the CA', async () => {
    const r = await runModule('uri', { url: `${base}/health` }, { transport: t });
    expect(r.status).toBe('failed');
    expect(r.result.status).toBe(-1);
    expect(r.msg).toMatch(/Status code was -1 and not \[200\]: Request failed: .*certificate/i);
  });

  it('skips verification with validate_certs: false', async () => {
    const r = await runModule('uri', { url: `${base}/health`, validate_certs: false }, { transport: t });
    expect(r.result.status).toBe(200);
  });

  it.each([
    [{ status_code: 418 }, 'ok'],
    [{ status_code: [200, 418] }, 'ok'],
    [{}, 'failed'],
  ])('checks the status against %j', async (extra, status) => {
    const r = await runModule('uri', { url: `${base}/status/418`, validate_certs: false, ...extra }, { transport: t });
    expect(r.status).toBe(status);
    expect(r.result.status).toBe(418);
  });

  it('follows redirects for GET', async () => {
    const r = await runModule('uri', { url: `${base}/redirect`, validate_certs: false }, { transport: t });
    expect(r.result).toMatchObject({ status: 200, url: `${base}/health` });
  });

  it('POST is an opaque change; applying sends the JSON body', async () => {
    const args = { url: `${base}/echo`, method: 'POST', body: { a: 1 }, body_format: 'json', ca_path: join(dir, 'ca.crt') };
    const dry = await runModule('uri', args, { transport: t, check: true });
    expect(dry).toMatchObject({ status: 'skipped', changes: [`POST ${base}/echo`] });
    const r = await runModule('uri', args, { transport: t });
    expect(r.status).toBe('changed');
    expect(r.result.json).toEqual({ method: 'POST', body: '{"a":1}', contentType: 'application/json', token: null, client: null });
  });

  it('sends form-urlencoded bodies', async () => {
    const r = await runModule('uri', { url: `${base}/echo`, method: 'PUT', body: { a: 'x y', b: 2 }, body_format: 'form-urlencoded', validate_certs: false }, { transport: t });
    expect(r.result.json).toMatchObject({ method: 'PUT', body: 'a=x+y&b=2', contentType: 'application/x-www-form-urlencoded' });
  });

  it('a server that requires a client certificate refuses a request without one', async () => {
    const r = await runModule('uri', { url: `${mtlsBase}/who`, ca_path: join(dir, 'ca.crt') }, { transport: t });
    expect(r.status).toBe('failed');
    expect(r.result.status).toBe(-1);
  });

  it('presents client_cert and client_key', async () => {
    const r = await runModule(
      'uri',
      { url: `${mtlsBase}/who`, ca_path: join(dir, 'ca.crt'), client_cert: join(dir, 'client.crt'), client_key: join(dir, 'client.key') },
      { transport: t },
    );
    expect(r.status).toBe('ok');
    expect(r.result.json).toMatchObject({ client: 'hap-client' });
  });

  it('reports connection refused as status -1', async () => {
    const r = await runModule('uri', { url: 'https://127.0.0.1:1/', timeout: 5 }, { transport: t });
    expect(r).toMatchObject({ status: 'failed', result: { status: -1 } });
  });

  it('rejects a url that is not http(s) by schema', async () => {
    await expect(runModule('uri', { url: 'file:///etc/passwd' }, { transport: t })).rejects.toThrow(/invalid args/);
  });
});
