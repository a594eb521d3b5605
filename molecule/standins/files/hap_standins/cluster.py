"""The cluster objects kubeadm creates and reads: kubeadm-config, cluster-info, tokens, nodes, kubeadm-certs."""
import base64
import datetime
import hashlib
import hmac
import os
import secrets
import string

from . import yamlish
from .common import Fatal, b64, kubeconfig, read, say

TOKEN_CHARS = string.ascii_lowercase + string.digits
NODE_GROUP = 'system:bootstrappers:kubeadm:default-node-token'
CERT_FILES = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.pub', 'sa.key']


def new_token():
    pick = lambda n: ''.join(secrets.choice(TOKEN_CHARS) for _ in range(n))
    return f'{pick(6)}.{pick(16)}'


def rfc3339(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def token_secret(token, ttl_s, usages=('signing', 'authentication'), groups=(NODE_GROUP,), description=''):
    tid, sec = token.split('.')
    data = {'token-id': tid, 'token-secret': sec}
    if ttl_s:
        data['expiration'] = rfc3339(datetime.datetime.now().timestamp() + ttl_s)
    for u in usages:
        data[f'usage-bootstrap-{u}'] = 'true'
    if groups and 'authentication' in usages:
        data['auth-extra-groups'] = ','.join(groups)
    if description:
        data['description'] = description
    return {'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': f'bootstrap-token-{tid}', 'namespace': 'kube-system'},
            'type': 'bootstrap.kubernetes.io/token', 'data': {k: b64(v) for k, v in data.items()}}


def upload_config(api, cfg):
    say('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace')
    cluster = dict(cfg['cluster'])
    cluster.update({'apiVersion': cfg['api'], 'kind': 'ClusterConfiguration', 'kubernetesVersion': cfg['version'],
                    'controlPlaneEndpoint': cfg['controlPlaneEndpoint'], 'certificatesDir': cfg['certificatesDir'],
                    'clusterName': cfg['clusterName']})
    api.apply('/api/v1/namespaces/kube-system/configmaps', {'apiVersion': 'v1', 'kind': 'ConfigMap',
              'metadata': {'name': 'kubeadm-config', 'namespace': 'kube-system'}, 'data': {'ClusterConfiguration': yamlish.dump(cluster)}})
    say('[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the kubelets in the cluster')
    api.apply('/api/v1/namespaces/kube-system/configmaps', {'apiVersion': 'v1', 'kind': 'ConfigMap',
              'metadata': {'name': 'kubelet-config', 'namespace': 'kube-system'},
              'data': {'kubelet': read('/var/lib/kubelet/config.yaml') if os.path.exists('/var/lib/kubelet/config.yaml') else ''}})


def cluster_info(api, cfg):
    say('[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace')
    ca = read(f'{cfg["certificatesDir"]}/ca.crt')
    kc = yamlish.dump({'apiVersion': 'v1', 'kind': 'Config', 'clusters': [{'cluster': {'certificate-authority-data': b64(ca),
                       'server': f'https://{cfg["controlPlaneEndpoint"]}'}, 'name': ''}], 'contexts': None, 'current-context': '',
                       'preferences': {}, 'users': None})
    api.apply('/api/v1/namespaces/kube-public/configmaps', {'apiVersion': 'v1', 'kind': 'ConfigMap',
              'metadata': {'name': 'cluster-info', 'namespace': 'kube-public'}, 'data': {'kubeconfig': kc}})


def register_node(api, name, address, version, taints=None):
    """The kubelet's registration plus kubeadm's mark-control-plane, in one object."""
    labels = {'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
              'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': ''}
    say(f'[mark-control-plane] Marking the node {name} as control-plane by adding the labels: '
        '[node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]')
    taints = [{'key': 'node-role.kubernetes.io/control-plane', 'effect': 'NoSchedule'}] if taints is None else taints
    api.apply('/api/v1/nodes', {'apiVersion': 'v1', 'kind': 'Node', 'metadata': {'name': name, 'labels': labels},
              'spec': {'taints': taints} if taints else {},
              'status': {'addresses': [{'type': 'InternalIP', 'address': address}, {'type': 'Hostname', 'address': name}],
                         'nodeInfo': {'kubeletVersion': version, 'kubeProxyVersion': version, 'operatingSystem': 'linux', 'architecture': 'amd64',
                                      'osImage': 'Debian GNU/Linux 12 (bookworm)', 'containerRuntimeVersion': 'hap-standin://0'}}})


def bootstrap_tokens(api, init):
    tokens = init.get('bootstrapTokens') or [{}]
    out = []
    from .files import parse_duration
    for t in tokens:
        token = t.get('token') or new_token()
        ttl = parse_duration(t.get('ttl'), 86400)
        api.apply('/api/v1/namespaces/kube-system/secrets',
                  token_secret(token, ttl, t.get('usages') or ('signing', 'authentication'), t.get('groups') or (NODE_GROUP,), t.get('description', '')))
        out.append(token)
    say(f'[bootstrap-token] Using token: {out[0]}')
    return out


# --- uploaded certificates ---
# kubeadm uses AES-256-GCM; the stdlib has no AES, so the stand-in seals with an HMAC-SHA256 keystream and
# tag instead. Same key format (64 hex), same failure text on a wrong key.
def _stream(key, nonce, n):
    out = b''
    i = 0
    while len(out) < n:
        out += hmac.new(key, nonce + i.to_bytes(4, 'big'), hashlib.sha256).digest()
        i += 1
    return out[:n]


def seal(key_hex, data):
    key = bytes.fromhex(key_hex)
    nonce = os.urandom(12)
    ct = bytes(a ^ b for a, b in zip(data, _stream(key, nonce, len(data))))
    tag = hmac.new(key, b'tag' + nonce + ct, hashlib.sha256).digest()[:16]
    return nonce + ct + tag


def unseal(key_hex, blob):
    key = bytes.fromhex(key_hex)
    nonce, ct, tag = blob[:12], blob[12:-16], blob[-16:]
    if not hmac.compare_digest(tag, hmac.new(key, b'tag' + nonce + ct, hashlib.sha256).digest()[:16]):
        raise Fatal('error execution phase control-plane-prepare/download-certs: error downloading certs: error decoding secret data with provided key: cipher: message authentication failed')
    return bytes(a ^ b for a, b in zip(ct, _stream(key, nonce, len(ct))))


def external_etcd_files(etcd):
    return {'external-etcd-ca.crt': etcd.get('caFile'), 'external-etcd.crt': etcd.get('certFile'), 'external-etcd.key': etcd.get('keyFile')}


def upload_certs(api, pki, etcd, key_hex):
    say('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace')
    files = {n: f'{pki}/{n}' for n in CERT_FILES}
    files.update(external_etcd_files(etcd))
    data = {}
    for name, path in files.items():
        raw = open(path, 'rb').read() if path and os.path.exists(path) else b''
        data[name.replace('/', '-')] = base64.b64encode(seal(key_hex, raw) if raw else b'').decode()
    proxy = new_token()
    api.apply('/api/v1/namespaces/kube-system/secrets', token_secret(proxy, 7200, usages=(), groups=(),
              description='Proxy for managing TTL for the kubeadm-certs secret'))
    api.apply('/api/v1/namespaces/kube-system/secrets', {'apiVersion': 'v1', 'kind': 'Secret', 'type': 'Opaque',
              'metadata': {'name': 'kubeadm-certs', 'namespace': 'kube-system', 'annotations': {'hap-standin/expires': rfc3339(datetime.datetime.now().timestamp() + 7200)},
                           'ownerReferences': [{'apiVersion': 'v1', 'kind': 'Secret', 'name': f'bootstrap-token-{proxy.split(".")[0]}', 'controller': True}]},
              'data': data})
    api.apply('/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/roles', {'apiVersion': 'rbac.authorization.k8s.io/v1', 'kind': 'Role',
              'metadata': {'name': 'kubeadm:kubeadm-certs', 'namespace': 'kube-system'},
              'rules': [{'apiGroups': [''], 'resources': ['secrets'], 'resourceNames': ['kubeadm-certs'], 'verbs': ['get']}]})
    say('[upload-certs] Using certificate key:')
    say(key_hex)


def download_certs(api, pki, etcd, key_hex):
    from .files import write_file
    code, secret = api.get('/api/v1/namespaces/kube-system/secrets/kubeadm-certs')
    expires = ((secret.get('metadata') or {}).get('annotations') or {}).get('hap-standin/expires', '')
    if code == 404 or (expires and expires < rfc3339(datetime.datetime.now().timestamp())):
        raise Fatal('error execution phase control-plane-prepare/download-certs: error downloading certs: error downloading the secret: '
                    'Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. '
                    'Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one')
    if code == 403:
        raise Fatal(f'error execution phase control-plane-prepare/download-certs: error downloading certs: error downloading the secret: {secret.get("message")}')
    targets = {n: f'{pki}/{n}' for n in CERT_FILES}
    targets.update(external_etcd_files(etcd))
    for name, path in targets.items():
        blob = base64.b64decode((secret.get('data') or {}).get(name, ''))
        if blob and path:
            write_file(path, unseal(key_hex, blob).decode(), 0o600 if path.endswith('.key') else 0o644)
    say('[download-certs] Saving the certificates to the folder: "{}"'.format(pki))


def admin_kubeconfig_text(server, pki, cn, orgs, algorithm='RSA-2048'):
    from . import x509
    crt, key = x509.issue_client(f'{pki}/ca.crt', f'{pki}/ca.key', cn, orgs, algorithm=algorithm)
    return kubeconfig(server, read(f'{pki}/ca.crt'), cn, crt, key)
