"""What kubeadm writes on a control-plane node: PKI checks, kubeconfigs, static Pod manifests,
kubelet files, and (instead of a kubelet) the apiserver stand-in's systemd unit."""
import os
import socket
import ssl
import subprocess
import time
import urllib.request

from . import x509, yamlish
from .common import K8S, KUBELET_DIR, LIB, MANIFESTS, UNIT, kubeconfig, kubeconfig_server, phase_error, read, say, write_file

SHARED = ['ca.crt', 'ca.key', 'sa.key', 'sa.pub', 'front-proxy-ca.crt', 'front-proxy-ca.key']
NODE_PAIRS = ['apiserver', 'apiserver-kubelet-client', 'front-proxy-client']


def port_free(port, addr=''):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Go's net.Listen: TIME_WAIT is not "in use"
    try:
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def preflight(checks, ignored):
    """checks: [(name, error or None, fatal)]; kubeadm's aggregated preflight failure."""
    ignore = {i.lower() for i in ignored}
    errors, warnings = [], []
    for name, problem, fatal in checks:
        if not problem:
            continue
        if not fatal or 'all' in ignore or name.lower() in ignore:
            warnings.append(f'\t[WARNING {name}]: {problem}')
        else:
            errors.append(f'\t[ERROR {name}]: {problem}')
    for w in warnings:
        say(w)
    if errors:
        raise phase_error('preflight', '[preflight] Some fatal errors occurred:\n' + '\n'.join(errors) +
                          '\n[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`')


def node_checks(bind_port, etcd):
    checks = [('IsPrivilegedUser', None if os.geteuid() == 0 else 'user is not running as root', True)]
    for port in (bind_port, 10259, 10257, 10250):
        checks.append((f'Port-{port}', None if port_free(port) else f'Port {port} is in use', True))
    for name in ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler'):
        path = f'{MANIFESTS}/{name}.yaml'
        checks.append((f'FileAvailable-{path.replace("/", "-")}', f'{path} already exists' if os.path.exists(path) else None, True))
    for k in ('caFile', 'certFile', 'keyFile'):
        if etcd.get(k) and not os.path.exists(etcd[k]):
            checks.append(('ExternalEtcdClientCertificates', f'{etcd[k]} doesn\'t exist', True))
    checks.append(('NumCPU', None if (os.cpu_count() or 1) >= 2 else f'the number of available CPUs {os.cpu_count()} is less than the required 2', True))
    return checks


def certs(cfg):
    """Reuses the PKI the pki role placed; the stand-in issues none of the shared or serving certs."""
    pki = cfg['certificatesDir']
    say(f'[certs] Using certificateDir folder "{pki}"')
    for name in ['ca', 'front-proxy-ca'] + NODE_PAIRS:
        crt, key = f'{pki}/{name}.crt', f'{pki}/{name}.key'
        if not (os.path.exists(crt) and os.path.exists(key)):
            raise phase_error(f'certs/{name}', f'hap stand-in: {crt} and {key} must exist (the pki role issues them; the stand-in generates no certificates)')
        say(f'[certs] Using existing {name} {"certificate authority" if name.endswith("ca") else "certificate and key on disk"}')
    sans = subprocess.run(['openssl', 'x509', '-noout', '-ext', 'subjectAltName', '-in', f'{pki}/apiserver.crt'], capture_output=True, text=True).stdout
    have = {part.strip().split(':', 1)[1] for line in sans.splitlines()[1:] for part in line.split(',') if ':' in part}
    host = cfg['controlPlaneEndpoint'].rsplit(':', 1)[0].strip('[]')
    for want in [host, cfg['endpoint']['advertiseAddress'], *[s.lower() for s in cfg['certSANs']]]:
        if want not in have:
            raise phase_error('certs/apiserver', f'[certs] certificate apiserver is invalid: x509: certificate is valid for {", ".join(sorted(have))}, not {want}')
    for f in ('sa.key', 'sa.pub'):
        if not os.path.exists(f'{pki}/{f}'):
            raise phase_error('certs/sa', f'hap stand-in: {pki}/{f} must exist (the pki role issues it)')
    say('[certs] Using the existing "sa" key')


def kubeconfigs(cfg, names):
    pki = cfg['certificatesDir']
    ca_pem = read(f'{pki}/ca.crt')
    server = f'https://{cfg["controlPlaneEndpoint"]}'
    local = f'https://{cfg["endpoint"]["advertiseAddress"]}:{cfg["endpoint"]["bindPort"]}'
    node = cfg['registration']['name']
    ids = {
        'admin.conf': ('kubernetes-admin', ['kubeadm:cluster-admins'], server),
        'super-admin.conf': ('kubernetes-super-admin', ['system:masters'], server),
        'kubelet.conf': (f'system:node:{node}', ['system:nodes'], server),
        'controller-manager.conf': ('system:kube-controller-manager', [], local),
        'scheduler.conf': ('system:kube-scheduler', [], local),
    }
    say(f'[kubeconfig] Using kubeconfig folder "{K8S}"')
    for name in names:
        cn, orgs, url = ids[name]
        path = f'{K8S}/{name}'
        if os.path.exists(path):
            have = kubeconfig_server(path)
            if have != url:
                raise phase_error(f'kubeconfig/{name.split(".")[0]}', f'a kubeconfig file "{path}" exists already but has an unexpected API Server URL: expected: {url}, got: {have}')
            say(f'[kubeconfig] Using existing kubeconfig file: "{path}"')
            continue
        crt, key = x509.issue_client(f'{pki}/ca.crt', f'{pki}/ca.key', cn, orgs, algorithm=cfg['encryptionAlgorithm'])
        user = {'admin.conf': 'kubernetes-admin', 'super-admin.conf': 'kubernetes-super-admin'}.get(name, cn)
        write_file(path, kubeconfig(url, ca_pem, user, crt, key, cfg['clusterName']), 0o600)
        say(f'[kubeconfig] Writing "{name}" kubeconfig file')


def _args(defaults, extra):
    merged = {**defaults, **extra}
    return [f'--{k}={v}' for k, v in merged.items()]


def _pod(name, image_version, command, annotations=None):
    return {'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {
        **({'annotations': annotations} if annotations else {}),
        'labels': {'component': name, 'tier': 'control-plane'}, 'name': name, 'namespace': 'kube-system'},
        'spec': {'containers': [{'command': command, 'image': f'registry.k8s.io/{name}:{image_version}', 'imagePullPolicy': 'IfNotPresent', 'name': name,
                                 'livenessProbe': {'httpGet': {'path': '/livez', 'port': 6443, 'scheme': 'HTTPS'}}}],
                 'hostNetwork': True, 'priorityClassName': 'system-node-critical'}}


def manifests(cfg, extra_args):
    pki = cfg['certificatesDir']
    ep = cfg['endpoint']
    etcd = cfg['etcd']
    api = {
        'advertise-address': ep['advertiseAddress'], 'allow-privileged': 'true', 'authorization-mode': 'Node,RBAC',
        'client-ca-file': f'{pki}/ca.crt', 'enable-admission-plugins': 'NodeRestriction', 'enable-bootstrap-token-auth': 'true',
        'etcd-cafile': etcd.get('caFile', ''), 'etcd-certfile': etcd.get('certFile', ''), 'etcd-keyfile': etcd.get('keyFile', ''),
        'etcd-servers': ','.join(etcd.get('endpoints') or []),
        'kubelet-client-certificate': f'{pki}/apiserver-kubelet-client.crt', 'kubelet-client-key': f'{pki}/apiserver-kubelet-client.key',
        'kubelet-preferred-address-types': 'InternalIP,ExternalIP,Hostname',
        'proxy-client-cert-file': f'{pki}/front-proxy-client.crt', 'proxy-client-key-file': f'{pki}/front-proxy-client.key',
        'requestheader-allowed-names': 'front-proxy-client', 'requestheader-client-ca-file': f'{pki}/front-proxy-ca.crt',
        'requestheader-extra-headers-prefix': 'X-Remote-Extra-', 'requestheader-group-headers': 'X-Remote-Group',
        'requestheader-username-headers': 'X-Remote-User', 'secure-port': str(ep['bindPort']),
        'service-account-issuer': f'https://kubernetes.default.svc.{cfg["dnsDomain"]}', 'service-account-key-file': f'{pki}/sa.pub',
        'service-account-signing-key-file': f'{pki}/sa.key', 'service-cluster-ip-range': cfg['serviceSubnet'],
        'tls-cert-file': f'{pki}/apiserver.crt', 'tls-private-key-file': f'{pki}/apiserver.key',
    }
    kc = lambda f: {'authentication-kubeconfig': f'{K8S}/{f}', 'authorization-kubeconfig': f'{K8S}/{f}', 'bind-address': '127.0.0.1',
                    'kubeconfig': f'{K8S}/{f}', 'leader-elect': 'true'}
    kcm = {**kc('controller-manager.conf'), 'client-ca-file': f'{pki}/ca.crt', 'cluster-name': cfg['clusterName'],
           'cluster-signing-cert-file': f'{pki}/ca.crt', 'cluster-signing-key-file': f'{pki}/ca.key', 'controllers': '*,bootstrapsigner,tokencleaner',
           'root-ca-file': f'{pki}/ca.crt', 'service-account-private-key-file': f'{pki}/sa.key', 'use-service-account-credentials': 'true'}
    if cfg['podSubnet']:
        kcm.update({'allocate-node-cidrs': 'true', 'cluster-cidr': cfg['podSubnet']})
    pods = {
        'kube-apiserver': _pod('kube-apiserver', cfg['version'], ['kube-apiserver'] + _args(api, extra_args.get('apiServer', {})),
                               {'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': f'{ep["advertiseAddress"]}:{ep["bindPort"]}'}),
        'kube-controller-manager': _pod('kube-controller-manager', cfg['version'], ['kube-controller-manager'] + _args(kcm, extra_args.get('controllerManager', {}))),
        'kube-scheduler': _pod('kube-scheduler', cfg['version'], ['kube-scheduler'] + _args(kc('scheduler.conf'), extra_args.get('scheduler', {}))),
    }
    for name, pod in pods.items():
        say(f'[control-plane] Creating static Pod manifest for "{name}"')
        write_file(f'{MANIFESTS}/{name}.yaml', yamlish.dump(pod), 0o600)


def kubelet_files(cfg):
    say(f'[kubelet-start] Writing kubelet environment file with flags to file "{KUBELET_DIR}/kubeadm-flags.env"')
    write_file(f'{KUBELET_DIR}/kubeadm-flags.env', 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock"\n')
    say(f'[kubelet-start] Writing kubelet configuration to file "{KUBELET_DIR}/config.yaml"')
    write_file(f'{KUBELET_DIR}/config.yaml', yamlish.dump({
        'apiVersion': 'kubelet.config.k8s.io/v1beta1', 'kind': 'KubeletConfiguration', 'cgroupDriver': 'systemd',
        'clusterDNS': ['10.96.0.10'], 'clusterDomain': cfg['dnsDomain'], 'staticPodPath': MANIFESTS,
        'authentication': {'x509': {'clientCAFile': f'{cfg["certificatesDir"]}/ca.crt'}}}))


def start_control_plane(node_name):
    """The kubelet would run the static Pods; the stand-in starts the apiserver stand-in as a systemd unit instead."""
    say('[kubelet-start] Starting the kubelet (hap stand-in: starting the kube-apiserver stand-in unit instead; there is no kubelet)')
    write_file(f'/etc/systemd/system/{UNIT}', '\n'.join([
        '[Unit]',
        'Description=kube-apiserver STAND-IN (hap test double started by the kubeadm stand-in in place of a kubelet)',
        'After=network-online.target',
        '[Service]',
        f'Environment=PYTHONPATH={os.path.dirname(LIB)}',
        f'ExecStart=/usr/bin/python3 -m hap_standins.apiserver --manifest {MANIFESTS}/kube-apiserver.yaml --node-name {node_name}',
        'Restart=always', 'RestartSec=1',
        '[Install]', 'WantedBy=multi-user.target', '']))
    subprocess.run(['systemctl', 'daemon-reload'], check=True)
    subprocess.run(['systemctl', 'enable', UNIT], check=True, capture_output=True)
    subprocess.run(['systemctl', 'restart', UNIT], check=True)


def wait_healthy(cfg, timeout_s):
    ep = cfg['endpoint']
    say(f'[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "{MANIFESTS}"')
    url = f'https://{ep["advertiseAddress"]}:{ep["bindPort"]}/readyz'
    ctx = ssl.create_default_context(cafile=f'{cfg["certificatesDir"]}/ca.crt')
    ctx.check_hostname = False
    t0 = time.time()
    while time.time() - t0 < timeout_s:
        try:
            with urllib.request.urlopen(url, context=ctx, timeout=2) as r:
                if r.status == 200:
                    say(f'[api-check] The API server is healthy after {time.time() - t0:.2f}s')
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise phase_error('wait-control-plane', f'[api-check] The API server is not healthy after {_go_duration(timeout_s)}')


def _go_duration(s):
    s = int(s)
    return f'{s // 60}m{s % 60}s' if s >= 60 else f'{s}s'


def parse_duration(text, default):
    """Go duration strings ("4m0s", "30s", "1h") in seconds."""
    if not text:
        return default
    total, num = 0.0, ''
    units = {'h': 3600, 'm': 60, 's': 1, 'ms': 0.001}
    i = 0
    while i < len(text):
        c = text[i]
        if c.isdigit() or c == '.':
            num += c
            i += 1
            continue
        unit = 'ms' if text[i:i + 2] == 'ms' else c
        total += float(num) * units[unit]
        num = ''
        i += len(unit)
    return total
