"""kubeadm --config loading as BEHAVIOUR.md §0 and schema/README.md describe: per-document API checks,
strict-decoding warnings, fatal type errors (exit 1), validation errors (exit 3), then defaults."""
import json
import os
import socket

from . import schema, yamlish
from .common import Fatal, minor, read, warn

GROUP = 'kubeadm.k8s.io'
OTHER_OK = {'kubelet.config.k8s.io/v1beta1': 'KubeletConfiguration', 'kubeproxy.config.k8s.io/v1alpha1': 'KubeProxyConfiguration'}
_validators = {}

GO_TYPES = {'integer': 'int32', 'string': 'string', 'boolean': 'bool', 'array': '[]', 'object': 'map'}
UNSAFE_HASH = ('discovery.bootstrapToken.caCertHashes: Invalid value: "": using token-based discovery without caCertHashes can be '
               'unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass '
               '--discovery-token-unsafe-skip-ca-verification flag to continue')


def validator(version):
    if version not in _validators:
        with open(os.path.join(os.path.dirname(__file__), 'schemas', f'{version}.json')) as f:
            _validators[version] = schema.Validator(json.load(f))
    return _validators[version]


def gvk(api_version, kind):
    group, _, version = api_version.rpartition('/')
    return f'schema.GroupVersionKind{{Group:"{group}", Version:"{version}", Kind:"{kind}"}}'


def load(path, kubeadm_version, strict=False):
    """{kind: document} of a config file; prints kubeadm's warnings; raises Fatal as kubeadm would."""
    try:
        text = read(path)
    except OSError as e:
        raise Fatal(f'unable to read config from "{path}" : open {path}: {e.strerror.lower()}')
    try:
        docs = yamlish.load_all(text)
    except yamlish.YamlError as e:
        raise Fatal(f'error converting YAML to JSON: yaml: {e}')
    out = {}
    for doc, dups in docs:
        if not isinstance(doc, dict):
            raise Fatal('error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}')
        api, kind = doc.get('apiVersion'), doc.get('kind')
        if not api or not kind:
            raise Fatal(f'invalid configuration for GroupVersionKind {gvk(api or "", kind or "")}: kind and apiVersion is mandatory information that must be specified')
        group, _, version = str(api).rpartition('/')
        if group != GROUP:
            if OTHER_OK.get(api) == kind:
                out[kind] = doc
            else:
                warn(f'[config] WARNING: Ignored configuration document with GroupVersionKind {group}/{version}, Kind={kind}')
            continue
        if version in ('v1alpha1', 'v1alpha2', 'v1alpha3', 'v1beta1', 'v1beta2'):
            raise Fatal(f'your configuration file uses an old API spec: "{api}" (kind: "{kind}"). Please use kubeadm v1.22 instead and run '
                        f"'kubeadm config migrate --old-config old.yaml --new-config new.yaml', which will write the new, similar spec using a newer API version.")
        if version not in ('v1beta3', 'v1beta4') or (version == 'v1beta4' and minor(kubeadm_version) < 31) or \
                kind not in ('InitConfiguration', 'ClusterConfiguration', 'JoinConfiguration', 'ResetConfiguration', 'UpgradeConfiguration') or \
                (version == 'v1beta3' and kind in ('ResetConfiguration', 'UpgradeConfiguration')):
            raise Fatal(f'no kind "{kind}" is registered for version "{api}" in scheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"')
        if version == 'v1beta3' and minor(kubeadm_version) >= 31:
            warn(f'your configuration file uses a deprecated API spec: "{api}" (kind: "{kind}"). Please use '
                 "'kubeadm config migrate --old-config old.yaml --new-config new.yaml', which will write the new, similar spec using a newer API version.")
        if kind in out:
            raise Fatal(f'invalid configuration: kind "{kind}" is specified twice in YAML file')
        out[kind] = check(doc, version, dups, strict)
    return out


def check(doc, version, dups, strict):
    v = validator(version)
    findings = v.errors(v.root, doc)
    unknown = [p for k, p, _ in findings if k == 'unknown']
    strict_msgs = [f'unknown field "{p}"' for p in unknown] + [f'duplicate field "{p}"' for p in dups]
    if strict_msgs:
        msg = f'error unmarshaling configuration {gvk(doc["apiVersion"], doc["kind"])}: strict decoding error: {", ".join(strict_msgs)}'
        if strict:
            raise Fatal(msg)
        warn(msg)
        for p in unknown:
            drop(doc, p)
        findings = v.errors(v.root, doc)
    types = [(p, m) for k, p, m in findings if k == 'type']
    if types:
        p, m = types[0]
        want = m.rsplit(' ', 1)[-1].split('/')[0]
        got = m.split(' ')[2]
        raise Fatal(f'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {_json_kind(got)} into Go struct field '
                    f'{doc["kind"]}.{p} of type {GO_TYPES.get(want, want)}')
    invalid = [f'{p}: {m}' if p else m for k, p, m in findings if k == 'invalid']
    invalid = [UNSAFE_HASH if i.startswith('discovery.bootstrapToken.caCertHashes: Required value') else i for i in invalid]
    if invalid:
        raise Fatal(invalid[0] if len(invalid) == 1 else '[' + ', '.join(invalid) + ']', code=3)
    return doc


def _json_kind(t):
    return {'integer': 'number', 'null': 'null', 'boolean': 'bool', 'array': 'array', 'object': 'object'}.get(t, t)


def drop(doc, dotted):
    parts = dotted.replace('[', '.[').split('.')
    cur = doc
    for p in parts[:-1]:
        cur = cur[int(p[1:-1])] if p.startswith('[') else cur.get(p)
        if cur is None:
            return
    if isinstance(cur, dict):
        cur.pop(parts[-1], None)


def default_address():
    """The address of the default route's interface (kubeadm's advertise-address default)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(('10.255.255.255', 1))
        return s.getsockname()[0]
    finally:
        s.close()


def extra_args(section):
    """extraArgs as a dict, from the v1beta3 map or the v1beta4 list."""
    raw = (section or {}).get('extraArgs') or {}
    if isinstance(raw, list):
        return {a['name']: a['value'] for a in raw}
    return dict(raw)


def defaulted(docs, kubeadm_version):
    """Init/Cluster configuration with the defaults the stand-in needs."""
    init = docs.get('InitConfiguration') or {}
    cluster = docs.get('ClusterConfiguration') or {}
    if not docs.get('InitConfiguration') and not docs.get('ClusterConfiguration'):
        raise Fatal('no InitConfiguration or ClusterConfiguration kind was found in the configuration file')
    ep = dict(init.get('localAPIEndpoint') or {})
    ep.setdefault('advertiseAddress', default_address())
    ep.setdefault('bindPort', 6443)
    reg = dict(init.get('nodeRegistration') or {})
    reg['name'] = (reg.get('name') or socket.gethostname()).lower()
    version = cluster.get('kubernetesVersion') or kubeadm_version
    if not version.startswith('v'):
        version = f'v{version}'
    check_version(version, kubeadm_version)
    etcd = cluster.get('etcd') or {}
    if 'external' not in etcd:
        raise Fatal('hap stand-in: only etcd.external is supported (hap owns etcd; kubeadm never runs a local etcd here)')
    net = cluster.get('networking') or {}
    return {
        'api': (docs.get('ClusterConfiguration') or docs.get('InitConfiguration'))['apiVersion'],
        'init': init, 'cluster': cluster, 'endpoint': ep, 'registration': reg, 'version': version, 'etcd': etcd['external'],
        'controlPlaneEndpoint': cluster.get('controlPlaneEndpoint') or f'{ep["advertiseAddress"]}:{ep["bindPort"]}',
        'serviceSubnet': net.get('serviceSubnet', '10.96.0.0/12'), 'podSubnet': net.get('podSubnet', ''),
        'dnsDomain': net.get('dnsDomain', 'cluster.local'), 'certificatesDir': cluster.get('certificatesDir', '/etc/kubernetes/pki'),
        'clusterName': cluster.get('clusterName', 'kubernetes'), 'certSANs': (cluster.get('apiServer') or {}).get('certSANs') or [],
        'encryptionAlgorithm': cluster.get('encryptionAlgorithm', 'RSA-2048'),
    }


def check_version(version, kubeadm_version):
    want, have = _parts(version), _parts(kubeadm_version)
    if want[:2] > have[:2]:
        raise Fatal(f'the specified version to deploy ({version}) is greater than the kubeadm version ({kubeadm_version}). '
                    'Please upgrade kubeadm first')
    if want[:2] < (have[0], have[1] - 1):
        raise Fatal(f'this version of kubeadm only supports deploying clusters with the control plane version >= {have[0]}.{have[1] - 1}.0. '
                    f'Current version: {version}')


def _parts(v):
    nums = v.lstrip('v').split('-')[0].split('.')
    return tuple(int(x) for x in (nums + ['0', '0'])[:3])
