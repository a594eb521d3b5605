"""A client for etcd's v3 JSON gateway (POST /v3/kv/*, base64 keys), over mTLS, with failover.

The same paths work on etcd 3.4 and 3.5. Keys are /registry/<resource>/[<namespace>/]<name> and
values JSON (the real apiserver stores protobuf; nothing outside the stand-in reads them).
"""
import base64
import http.client
import json
import ssl
from urllib.parse import urlsplit


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def unb64(s):
    return base64.b64decode(s or '')


def prefix_end(prefix):
    b = bytearray(prefix.encode())
    b[-1] += 1
    return bytes(b)


class EtcdUnavailable(Exception):
    pass


class Etcd:
    def __init__(self, endpoints, cafile=None, certfile=None, keyfile=None, timeout=2.0):
        self.endpoints = [e.strip() for e in endpoints if e.strip()]
        self.timeout = timeout
        self.ctx = None
        if any(e.startswith('https://') for e in self.endpoints):
            self.ctx = ssl.create_default_context(cafile=cafile)
            self.ctx.check_hostname = False  # members are addressed by IP, SANs checked by the CA pin
            if certfile:
                self.ctx.load_cert_chain(certfile, keyfile)
        self.preferred = 0

    def call(self, path, body):
        last = None
        n = len(self.endpoints)
        for i in range(n):
            idx = (self.preferred + i) % n
            url = urlsplit(self.endpoints[idx])
            try:
                if url.scheme == 'https':
                    conn = http.client.HTTPSConnection(url.hostname, url.port or 2379, timeout=self.timeout, context=self.ctx)
                else:
                    conn = http.client.HTTPConnection(url.hostname, url.port or 2379, timeout=self.timeout)
                conn.request('POST', path, json.dumps(body), {'Content-Type': 'application/json'})
                resp = conn.getresponse()
                data = json.loads(resp.read() or b'{}')
                conn.close()
                if resp.status != 200:
                    last = EtcdUnavailable(f'{self.endpoints[idx]}: {resp.status} {data.get("error") or data.get("message")}')
                    continue
                self.preferred = idx
                return data
            except (OSError, ValueError, http.client.HTTPException) as e:
                last = EtcdUnavailable(f'{self.endpoints[idx]}: {e}')
        raise last or EtcdUnavailable('no etcd endpoints configured')

    def get(self, key):
        r = self.call('/v3/kv/range', {'key': b64(key)})
        kvs = r.get('kvs') or []
        if not kvs:
            return None, 0
        return json.loads(unb64(kvs[0]['value'])), int(kvs[0].get('mod_revision', 0))

    def list(self, prefix):
        r = self.call('/v3/kv/range', {'key': b64(prefix), 'range_end': b64(prefix_end(prefix))})
        out = [(json.loads(unb64(kv['value'])), int(kv.get('mod_revision', 0))) for kv in r.get('kvs') or []]
        return out, int(r.get('header', {}).get('revision', 0))

    def put(self, key, value):
        r = self.call('/v3/kv/put', {'key': b64(key), 'value': b64(json.dumps(value, separators=(',', ':')))})
        return int(r.get('header', {}).get('revision', 0))

    def create(self, key, value):
        """Put only if absent; returns the revision or None when the key exists."""
        return self.swap(key, 0, value)

    def swap(self, key, mod_revision, value):
        """Put only if the key's mod revision is still `mod_revision` (0 = absent)."""
        cmp = ({'key': b64(key), 'target': 'CREATE', 'create_revision': '0', 'result': 'EQUAL'} if mod_revision == 0
               else {'key': b64(key), 'target': 'MOD', 'mod_revision': str(mod_revision), 'result': 'EQUAL'})
        r = self.call('/v3/kv/txn', {
            'compare': [cmp],
            'success': [{'request_put': {'key': b64(key), 'value': b64(json.dumps(value, separators=(',', ':')))}}],
        })
        return int(r.get('header', {}).get('revision', 0)) if r.get('succeeded') else None

    def delete(self, key):
        r = self.call('/v3/kv/deleterange', {'key': b64(key)})
        return int(r.get('deleted', 0) or 0)

    def healthy(self):
        """A linearizable read: fails without a quorum, like the apiserver's etcd check."""
        try:
            self.call('/v3/kv/range', {'key': b64('/registry/health'), 'limit': '1'})
            return True, ''
        except EtcdUnavailable as e:
            return False, str(e)
