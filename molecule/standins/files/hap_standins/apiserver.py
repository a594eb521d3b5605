"""kube-apiserver STAND-IN: a TLS server with client-certificate auth that keeps its objects in etcd.

Started by the kubeadm stand-in as a systemd unit (there is no kubelet); reads its flags from the
static Pod manifest kubeadm wrote, as the kubelet would. Not a Kubernetes API server: no RBAC, no
admission, no watch, no controllers beyond a node heartbeat and two leader-election leases.
"""
import base64
import hashlib
import hmac
import json
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import resources as R
from . import yamlish
from .etcd import Etcd, EtcdUnavailable
from .store import Store, ApiError

START = time.time()


def manifest_flags(path):
    docs = yamlish.load_all(open(path).read())
    pod = docs[0][0]
    c = pod['spec']['containers'][0]
    flags = {}
    for arg in c.get('command', [])[1:] + c.get('args', []):
        if arg.startswith('--') and '=' in arg:
            k, v = arg[2:].split('=', 1)
            flags[k] = v
    version = c['image'].rsplit(':', 1)[-1]
    return flags, version


class State:
    def __init__(self, flags, version, node_name):
        self.flags, self.version, self.node_name = flags, version, node_name
        self.etcd = Etcd(flags.get('etcd-servers', 'https://127.0.0.1:2379').split(','), flags.get('etcd-cafile'),
                         flags.get('etcd-certfile'), flags.get('etcd-keyfile'))
        self.store = Store(self.etcd)
        self.requests = {}
        self.lock = threading.Lock()
        self.identity = f'{socket.gethostname()}_{uuid.uuid4()}'
        self.checks_failed = {}

    def count(self, verb, resource, code):
        with self.lock:
            k = (verb, resource, str(code))
            self.requests[k] = self.requests.get(k, 0) + 1


def health(state, kind, query, only=None):
    ok_etcd, _ = state.etcd.healthy()
    checks = [('ping', True), ('log', True), ('etcd', ok_etcd)]
    if kind == 'readyz':
        checks += [('etcd-readiness', ok_etcd), ('informer-sync', True), ('poststarthook/start-apiserver-admission-initializer', True), ('shutdown', True)]
    excluded = set(query.get('exclude', []))
    if only:
        checks = [c for c in checks if c[0] == only]
        if not checks:
            return 404, '404 page not found\n'
    lines, failed = [], False
    for name, ok in checks:
        state.checks_failed[(kind, name)] = not ok
        if name in excluded:
            lines.append(f'[+]{name} excluded: ok')
        elif ok:
            lines.append(f'[+]{name} ok')
        else:
            failed = True
            lines.append(f'[-]{name} failed: reason withheld')
    if only:
        return (500, f'internal server error: {only} failed\n') if failed else (200, 'ok')
    if failed:
        return 500, '\n'.join(lines) + f'\n{kind} check failed\n'
    if 'verbose' in query:
        return 200, '\n'.join(lines) + f'\n{kind} check passed\n'
    return 200, 'ok'


def metrics(state):
    out = ['# HELP kubernetes_build_info A metric with a constant \'1\' value labeled by major, minor, git version.',
           '# TYPE kubernetes_build_info gauge',
           f'kubernetes_build_info{{git_version="{state.version}",major="{state.version[1:].split(".")[0]}",minor="{state.version.split(".")[1]}"}} 1',
           '# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, resource and HTTP response code.',
           '# TYPE apiserver_request_total counter']
    with state.lock:
        for (verb, res, code), n in sorted(state.requests.items()):
            out.append(f'apiserver_request_total{{code="{code}",resource="{res}",verb="{verb}"}} {n}')
    out += ['# HELP kubernetes_healthcheck This metric records the result of a single healthcheck.', '# TYPE kubernetes_healthcheck gauge']
    for (kind, name), failed in sorted(state.checks_failed.items()):
        out.append(f'kubernetes_healthcheck{{name="{name}",type="{kind}"}} {0 if failed else 1}')
    out += ['# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.',
            '# TYPE process_start_time_seconds gauge', f'process_start_time_seconds {START:.2f}']
    return '\n'.join(out) + '\n'


def jws_detached(content, token_id, secret):
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b'=').decode()
    header = enc(json.dumps({'alg': 'HS256', 'kid': token_id}, separators=(',', ':')).encode())
    payload = enc(content.encode())
    sig = hmac.new(secret.encode(), f'{header}.{payload}'.encode(), hashlib.sha256).digest()
    return f'{header}..{enc(sig)}'


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'kube-apiserver-standin'
    state: State = None

    def log_message(self, fmt, *args):
        pass

    def send(self, code, body, ctype='application/json'):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        self.send_header('Cache-Control', 'no-cache, private')
        self.end_headers()
        self.wfile.write(data)

    def user(self):
        cert = self.connection.getpeercert() if hasattr(self.connection, 'getpeercert') else None
        if cert:
            subject = [x for rdn in cert.get('subject', ()) for x in rdn]
            return {'name': next((v for k, v in subject if k == 'commonName'), ''),
                    'groups': [v for k, v in subject if k == 'organizationName'], 'via': 'cert'}
        auth = self.headers.get('Authorization', '')
        if auth.startswith('Bearer '):
            return self.state.store.bootstrap_user(auth[7:].strip())
        return None

    def body(self):
        raw = self._raw
        return json.loads(raw) if raw else None

    def handle_any(self, verb):
        # a body must be read even where it is not used (DeleteOptions on DELETE), or its bytes
        # are taken for the next request on this keep-alive connection
        n = int(self.headers.get('Content-Length') or 0)
        self._raw = self.rfile.read(n) if n else b''
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        path = url.path.rstrip('/') or '/'
        parts = [p for p in path.split('/') if p]
        st = self.state
        code = 200
        try:
            if parts and parts[0] in ('livez', 'readyz', 'healthz') and verb == 'GET':
                code, text = health(st, parts[0], query, '/'.join(parts[1:]) or None)
                return self.send(code, text, 'text/plain; charset=utf-8')
            if path == '/version':
                v = st.version
                return self.send(200, {'major': v[1:].split('.')[0], 'minor': v.split('.')[1], 'gitVersion': v, 'gitCommit': 'hap-standin',
                                       'gitTreeState': 'clean', 'buildDate': '2026-01-01T00:00:00Z', 'goVersion': 'go1.22.0',
                                       'compiler': 'gc', 'platform': 'linux/amd64'})
            user = self.user()
            if user is None and not (verb == 'GET' and path == '/api/v1/namespaces/kube-public/configmaps/cluster-info'):
                code = 401
                return self.send(401, ApiError(401, 'Unauthorized', 'Unauthorized').status())
            if path == '/metrics':
                return self.send(200, metrics(st), 'text/plain; version=0.0.4; charset=utf-8')
            if path == '/api':
                addr = st.flags.get('advertise-address', '0.0.0.0')
                return self.send(200, {'kind': 'APIVersions', 'versions': ['v1'], 'serverAddressByClientCIDRs': [
                    {'clientCIDR': '0.0.0.0/0', 'serverAddress': f'{addr}:{st.flags.get("secure-port", "6443")}'}]})
            if path == '/apis':
                return self.send(200, R.group_list())
            if path == '/openapi/v3':
                return self.send(200, R.openapi_v3_index())
            if parts[:2] == ['openapi', 'v3'] and R.openapi_v3('/'.join(parts[2:])):
                return self.send(200, R.openapi_v3('/'.join(parts[2:])))
            if parts[:1] == ['openapi']:
                return self.send(404, ApiError(404, 'NotFound', 'the server could not find the requested resource').status())
            group, version, rest = self.split_api(parts)
            if group is None:
                code = 404
                return self.send(404, ApiError(404, 'NotFound', 'the server could not find the requested resource').status())
            if not rest:
                return self.send(200, R.resource_list(group, version))
            st.store.authorize(user, verb, group, rest)
            result_code, obj = st.store.handle(verb, group, version, rest, query, self.body() if verb in ('POST', 'PUT', 'PATCH') else None,
                                               self.headers.get('Content-Type', ''), self.headers.get('Accept', ''))
            if rest[-2:] == ['configmaps', 'cluster-info'] and verb == 'GET':
                obj = self.sign_cluster_info(obj)
            code = result_code
            return self.send(result_code, obj)
        except ApiError as e:
            code = e.code
            return self.send(e.code, e.status())
        except EtcdUnavailable as e:
            code = 500
            return self.send(500, ApiError(500, 'InternalError', f'etcdserver: request timed out ({e})').status())
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
            code = 500
            return self.send(500, ApiError(500, 'InternalError', f'hap stand-in: {type(e).__name__}: {e}').status())
        finally:
            st.count(verb, (parts[-1] if parts else '/'), code)

    def split_api(self, parts):
        if parts[:2] == ['api', 'v1']:
            return '', 'v1', parts[2:]
        if len(parts) >= 3 and parts[0] == 'apis' and any(r[0] == parts[1] and r[1] == parts[2] for r in R.RESOURCES):
            return parts[1], parts[2], parts[3:]
        return None, None, None

    def sign_cluster_info(self, cm):
        """The bootstrap signer's job: one jws-kubeconfig-<id> entry per valid signing token."""
        data = dict(cm.get('data') or {})
        for tok in self.state.store.valid_tokens(usage='signing'):
            data[f'jws-kubeconfig-{tok["id"]}'] = jws_detached(data.get('kubeconfig', ''), tok['id'], tok['secret'])
        return {**cm, 'data': data}

    def do_GET(self):
        self.handle_any('GET')

    def do_POST(self):
        self.handle_any('POST')

    def do_PUT(self):
        self.handle_any('PUT')

    def do_PATCH(self):
        self.handle_any('PATCH')

    def do_DELETE(self):
        self.handle_any('DELETE')


class Health(BaseHTTPRequestHandler):
    """The controller-manager, scheduler and kubelet ports answer /healthz (so the ports are in use, as kubeadm's preflight expects)."""
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'ok')


def serve(addr, port, handler, ctx):
    srv = ThreadingHTTPServer((addr, port), handler)
    srv.daemon_threads = True
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def kubelet_version(fallback):
    """The installed kubelet's version (`kubelet --version` prints `Kubernetes vX.Y.Z`), read once at start as a
    running kubelet knows only its own binary; the manifest's version where no kubelet is installed."""
    try:
        out = subprocess.run(['kubelet', '--version'], capture_output=True, text=True, timeout=10).stdout.split()
        return out[1] if len(out) == 2 and out[0] == 'Kubernetes' else fallback
    except (OSError, subprocess.SubprocessError):
        return fallback


def background(state):
    """Node heartbeat (the kubelet's lease), the kubelet's version in the node status, and the two
    leader-election leases (BEHAVIOUR.md §11)."""
    reported = False
    while True:
        try:
            state.store.heartbeat(state.node_name)
            reported = reported or state.store.report_kubelet(state.node_name, state.kubelet_version)
            for name in ('kube-controller-manager', 'kube-scheduler'):
                state.store.elect(name, state.identity)
        except (EtcdUnavailable, ApiError, OSError):
            pass
        time.sleep(2)


def main(argv):
    manifest = argv[argv.index('--manifest') + 1]
    node = argv[argv.index('--node-name') + 1]
    flags, version = manifest_flags(manifest)
    state = State(flags, version, node)
    state.kubelet_version = kubelet_version(version)
    Handler.state = state
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(flags['tls-cert-file'], flags['tls-private-key-file'])
    if flags.get('client-ca-file'):
        ctx.load_verify_locations(flags['client-ca-file'])
        ctx.verify_mode = ssl.CERT_OPTIONAL
    bind = flags.get('bind-address', '0.0.0.0')
    serve(bind, int(flags.get('secure-port', '6443')), Handler, ctx)
    plain = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    plain.load_cert_chain(flags['tls-cert-file'], flags['tls-private-key-file'])
    for addr, port in (('127.0.0.1', 10257), ('127.0.0.1', 10259), ('0.0.0.0', 10250)):
        serve(addr, port, Health, plain)
    for _ in range(30):
        try:
            state.store.ensure_namespaces()
            break
        except (EtcdUnavailable, ApiError):
            time.sleep(1)
    print(f'kube-apiserver stand-in {version} serving on {bind}:{flags.get("secure-port", "6443")}', flush=True)
    background(state)


if __name__ == '__main__':
    main(sys.argv[1:])
