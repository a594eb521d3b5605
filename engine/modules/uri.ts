import { quote, shellJoin } from '../transport/quote.ts';
import type { ModuleContext, ModuleDef, Plan } from './types.ts';

export interface UriArgs {
  url: string;
  method?: string;
  body?: unknown;
  body_format?: 'json' | 'raw' | 'form-urlencoded';
  headers?: Record<string, string | number>;
  status_code?: number | number[];
  return_content?: boolean;
  validate_certs?: boolean;
  ca_path?: string;
  client_cert?: string;
  client_key?: string;
  timeout?: number;
  follow_redirects?: 'all' | 'none' | 'safe';
}

interface Response {
  status: number;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  error?: string;
}

function encodeBody(a: UriArgs): { data?: string; contentType?: string } {
  if (a.body === undefined || a.body === null) return {};
  if (a.body_format === 'json' || (a.body_format === undefined && typeof a.body === 'object')) {
    return { data: typeof a.body === 'string' ? a.body : JSON.stringify(a.body), contentType: 'application/json' };
  }
  if (a.body_format === 'form-urlencoded' && typeof a.body === 'object') {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(a.body as Record<string, unknown>)) params.append(k, String(v));
    return { data: params.toString(), contentType: 'application/x-www-form-urlencoded' };
  }
  return { data: String(a.body) };
}

/** The curl command line run on the host; the body (if any) goes on stdin. */
export function curlCommand(a: UriArgs, method: string, hasBody: boolean, contentType?: string): string {
  const words = ['curl', '-sS', '-o', '$t/b', '-D', '$t/h', '-w', '%{http_code} %{url_effective}', '--max-time', a.timeout ?? 30];
  words.push(...(method === 'HEAD' ? ['--head'] : ['-X', method]));
  const follow = a.follow_redirects ?? 'safe';
  if (follow === 'all' || (follow === 'safe' && (method === 'GET' || method === 'HEAD'))) words.push('-L');
  const headers = Object.entries(a.headers ?? {});
  if (contentType && !headers.some(([k]) => k.toLowerCase() === 'content-type')) headers.push(['Content-Type', contentType]);
  for (const [k, v] of headers) words.push('-H', `${k}: ${v}`);
  if (a.validate_certs === false) words.push('-k');
  if (a.ca_path) words.push('--cacert', a.ca_path);
  if (a.client_cert) words.push('--cert', a.client_cert);
  if (a.client_key) words.push('--key', a.client_key);
  if (hasBody) words.push('--data-binary', '@-');
  // the temp dir paths must expand on the host, so they are written outside the quotes
  const curl = shellJoin([...words, '--', a.url]).replaceAll(quote('$t/b'), '"$t/b"').replaceAll(quote('$t/h'), '"$t/h"');
  return [
    't=$(mktemp -d) || exit 1',
    `trap 'rm -rf "$t"' EXIT`,
    `${curl}${hasBody ? '' : ' </dev/null'}`,
    'rc=$?',
    `printf '\\n--hap-curl %s\\n' "$rc"`,
    `base64 -w0 "$t/h" 2>/dev/null; echo`,
    `base64 -w0 "$t/b" 2>/dev/null; echo`,
  ].join('\n');
}

export function parseCurl(stdout: string, stderr: string): Response {
  const [line0 = '', marker = '', h = '', b = ''] = stdout.replace(/^\n/, '').split('\n');
  const rc = Number(/--hap-curl (\d+)/.exec(marker)?.[1] ?? -1);
  const sp = line0.indexOf(' ');
  const code = Number(line0.slice(0, sp));
  const headerText = Buffer.from(h, 'base64').toString('latin1');
  // with redirects the file holds several responses; the last block is the final one
  const blocks = headerText.split(/\r?\n\r?\n/).filter((x) => x.trim());
  const headers: Record<string, string> = {};
  for (const l of (blocks[blocks.length - 1] ?? '').split(/\r?\n/).slice(1)) {
    const c = l.indexOf(':');
    if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
  }
  return {
    status: rc === 0 && code > 0 ? code : -1,
    url: line0.slice(sp + 1),
    headers,
    body: Buffer.from(b, 'base64'),
    ...(rc !== 0 ? { error: stderr.trim() || `curl exited with ${rc}` } : {}),
  };
}

async function request(ctx: ModuleContext, a: UriArgs, method: string): Promise<{ failed?: string; result: Record<string, unknown> }> {
  const { data, contentType } = encodeBody(a);
  const command = curlCommand(a, method, data !== undefined, a.body_format === 'raw' ? undefined : contentType);
  const start = Date.now();
  const r = await ctx.transport.exec(`sh -c ${quote(command)}`, { become: ctx.become, stdin: data, timeoutMs: ((a.timeout ?? 30) + 15) * 1000 });
  const res = parseCurl(r.stdout, r.stderr);
  const text = res.body.toString('utf8');
  const ctype = res.headers['content-type'] ?? '';
  const result: Record<string, unknown> = {
    status: res.status,
    url: res.url || a.url,
    headers: res.headers,
    elapsed: Math.round((Date.now() - start) / 100) / 10,
    ...(ctype ? { content_type: ctype } : {}),
  };
  const wanted = a.status_code === undefined ? [200] : Array.isArray(a.status_code) ? a.status_code : [a.status_code];
  const ok = wanted.includes(res.status);
  if (a.return_content || !ok) result.content = text;
  if (/json/i.test(ctype)) {
    try {
      result.json = JSON.parse(text);
    } catch {
      // not JSON after all: content is still there for the user
    }
  }
  result.msg = res.error ? `Request failed: ${res.error}` : `OK (${res.body.length} bytes)`;
  if (!ok) return { failed: `Status code was ${res.status} and not [${wanted.join(', ')}]: ${result.msg as string}`, result };
  return { result };
}

/** An HTTP request made from the host with its curl; GET and HEAD only read. */
export const uri: ModuleDef<UriArgs> = {
  name: 'uri',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['url'],
    properties: {
      url: { type: 'string', pattern: '^https?://' },
      method: { type: 'string', pattern: '^[A-Za-z]+$' },
      body: {},
      body_format: { enum: ['json', 'raw', 'form-urlencoded'] },
      headers: { type: 'object', additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }] } },
      status_code: {
        anyOf: [
          { type: 'integer', minimum: -1, maximum: 999 },
          { type: 'array', minItems: 1, items: { type: 'integer', minimum: -1, maximum: 999 } },
        ],
      },
      return_content: { type: 'boolean' },
      validate_certs: { type: 'boolean' },
      ca_path: { type: 'string', minLength: 1 },
      client_cert: { type: 'string', minLength: 1 },
      client_key: { type: 'string', minLength: 1 },
      timeout: { type: 'number', exclusiveMinimum: 0 },
      follow_redirects: { enum: ['all', 'none', 'safe'] },
    },
  },
  async plan(args, ctx): Promise<Plan> {
    const method = (args.method ?? 'GET').toUpperCase();
    if (method === 'GET' || method === 'HEAD') {
      const { failed, result } = await request(ctx, args, method);
      return failed ? { status: 'failed', msg: failed, result } : { status: 'ok', result };
    }
    return {
      status: 'change',
      changes: [{ summary: `${method} ${args.url}`, opaque: true, apply: () => request(ctx, args, method) }],
    };
  },
};
