"""What every kubeadm stand-in command shares: errors with kubeadm's exit codes, klog warnings, the API client."""
import base64
import datetime
import http.client
import json
import os
import ssl
import sys
import tempfile
import time
from urllib.parse import urlsplit

from . import yamlish

LIB = os.path.dirname(os.path.abspath(__file__))
K8S = os.environ.get('HAP_STANDIN_ROOT', '') + '/etc/kubernetes'
PKI = f'{K8S}/pki'
MANIFESTS = f'{K8S}/manifests'
KUBELET_DIR = os.environ.get('HAP_STANDIN_ROOT', '') + '/var/lib/kubelet'
UNIT = 'kube-apiserver-standin.service'
STACK_HINT = 'To see the stack trace of this error execute with --v=5 or higher'


class Fatal(Exception):
    """A kubeadm error: printed to stderr followed by the stack-trace hint; exit 1 (3 for validation)."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.message, self.code = message, code


def phase_error(phase, message):
    return Fatal(f'error execution phase {phase}: {message}')


def warn(message, source='initconfiguration.go:332'):
    t = datetime.datetime.now()
    sys.stderr.write(f'W{t:%m%d %H:%M:%S}.{t.microsecond:06d} {os.getpid():7d} {source}] {message}\n')


def say(line=''):
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


def installed_version():
    with open(os.path.join(LIB, 'VERSION')) as f:
        return f.read().strip()


def minor(version):
    return int(version.lstrip('v').split('.')[1])


def write_file(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f'{path}.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def read(path):
    with open(path) as f:
        return f.read()


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


class Api:
    """A client of the apiserver stand-in: a kubeconfig's client certificate, or a bootstrap token."""

    def __init__(self, server, ca_pem=None, cert_pem=None, key_pem=None, token=None, timeout=10):
        self.url = urlsplit(server)
        self.token = token
        self.timeout = timeout
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        if ca_pem:
            self.ctx.load_verify_locations(cadata=ca_pem)
        else:
            self.ctx.verify_mode = ssl.CERT_NONE
        if cert_pem:
            with tempfile.NamedTemporaryFile('w', delete=False) as c, tempfile.NamedTemporaryFile('w', delete=False) as k:
                c.write(cert_pem)
                k.write(key_pem)
            try:
                self.ctx.load_cert_chain(c.name, k.name)
            finally:
                os.unlink(c.name)
                os.unlink(k.name)

    @classmethod
    def from_kubeconfig(cls, path):
        cfg = yamlish.load_all(read(path))[0][0]
        cluster = cfg['clusters'][0]['cluster']
        user = cfg['users'][0]['user']
        dec = lambda v: base64.b64decode(v).decode() if v else None
        return cls(cluster['server'], dec(cluster.get('certificate-authority-data')), dec(user.get('client-certificate-data')),
                   dec(user.get('client-key-data')), user.get('token'))

    def request(self, method, path, body=None, ctype='application/json', retry_for=60.0):
        """kubeadm retries API calls every 500 ms for up to a minute (timeouts.kubernetesAPICall): through a
        VIP the load balancer may not route to a new apiserver yet."""
        deadline = time.time() + retry_for
        while True:
            try:
                code, data = self._once(method, path, body, ctype)
                if code < 500 or time.time() >= deadline:
                    return code, data
            except (OSError, http.client.HTTPException):
                if time.time() >= deadline:
                    raise
            time.sleep(0.5)

    def _once(self, method, path, body, ctype):
        conn = http.client.HTTPSConnection(self.url.hostname, self.url.port or 443, timeout=self.timeout, context=self.ctx)
        headers = {'Accept': 'application/json', 'Content-Type': ctype}
        if self.token:
            headers['Authorization'] = f'Bearer {self.token}'
        try:
            conn.request(method, path, json.dumps(body) if body is not None else None, headers)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {'message': raw.decode(errors='replace')}
        return resp.status, data

    def get(self, path):
        return self.request('GET', path)

    def apply(self, collection, obj):
        """Create, or replace when it exists (kubeadm's CreateOrUpdate)."""
        code, data = self.request('POST', collection, obj)
        if code == 409:
            code, data = self.request('PUT', f'{collection}/{obj["metadata"]["name"]}', obj)
        if code >= 300:
            raise Fatal(f'unable to create {collection}/{obj["metadata"]["name"]}: {data.get("message")}')
        return data


def kubeconfig(server, ca_pem, user, cert_pem, key_pem, cluster='kubernetes'):
    return yamlish.dump({
        'apiVersion': 'v1', 'kind': 'Config',
        'clusters': [{'cluster': {'certificate-authority-data': b64(ca_pem), 'server': server}, 'name': cluster}],
        'contexts': [{'context': {'cluster': cluster, 'user': user}, 'name': f'{user}@{cluster}'}],
        'current-context': f'{user}@{cluster}', 'preferences': {},
        'users': [{'name': user, 'user': {'client-certificate-data': b64(cert_pem), 'client-key-data': b64(key_pem)}}],
    })


def kubeconfig_server(path):
    try:
        return yamlish.load_all(read(path))[0][0]['clusters'][0]['cluster']['server']
    except (OSError, KeyError, IndexError, yamlish.YamlError):
        return None
