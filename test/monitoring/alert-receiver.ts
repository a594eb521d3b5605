import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** One alert as Alertmanager's webhook delivered it, with the controller's receive time. */
export interface Delivery {
  at: number;
  /** When the alert fired in Prometheus (after its `for:`), epoch ms. */
  startsAt: number;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
}

export interface AlertReceiver {
  url: string;
  deliveries: Delivery[];
  /** Named instants the scenario posts (`POST /mark?name=kill`), e.g. just before a fault. */
  marks: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Alertmanager's webhook receiver for lab tests, on the controller: `POST /alerts` takes
 * Alertmanager's payload; `GET /alerts?alertname=X&status=firing&label=value` answers the
 * matching deliveries as JSON, so a playbook can wait for one with `uri … until:`.
 */
export async function startAlertReceiver(host: string, port: number): Promise<AlertReceiver> {
  const deliveries: Delivery[] = [];
  const marks = new Map<string, number>();
  const server = createServer((req, res) => {
    handle(req, res, deliveries, marks).catch((e: unknown) => {
      res.writeHead(500).end(String(e));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    url: `http://${host}:${port}`,
    deliveries,
    marks,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, deliveries: Delivery[], marks: Map<string, number>): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://receiver');
  const body = await readBody(req);
  if (req.method === 'POST' && url.pathname === '/alerts') {
    const at = Date.now();
    const payload = JSON.parse(body) as { alerts?: Array<{ status: Delivery['status']; labels: Record<string, string>; startsAt: string }> };
    for (const a of payload.alerts ?? []) deliveries.push({ at, startsAt: Date.parse(a.startsAt), status: a.status, labels: a.labels });
    res.writeHead(200).end('ok');
    return;
  }
  if (req.method === 'POST' && url.pathname === '/mark') {
    marks.set(url.searchParams.get('name') ?? '', Date.now());
    res.writeHead(200).end('ok');
    return;
  }
  if (req.method === 'GET' && url.pathname === '/alerts') {
    const want = [...url.searchParams.entries()];
    const found = deliveries.filter((d) => want.every(([k, v]) => (k === 'status' ? d.status === v : d.labels[k] === v)));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(found));
    return;
  }
  res.writeHead(404).end('not found');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
