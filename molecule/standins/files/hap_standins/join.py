"""kubeadm join --config (control-plane) as BEHAVIOUR.md §5: discovery, checks, files, the apiserver stand-in."""
import base64
import hashlib
import hmac
import http.client
import os
import socket
import time

from . import cluster as C
from . import config as K
from . import files as F
from . import yamlish
from .common import K8S, Api, Fatal, phase_error, say
from .x509 import ca_pin

CP_CONDITIONS = ('\nOne or more conditions for hosting a new control plane instance is not satisfied.\n\n{cause}\n\n'
                 'Please ensure that:\n* The cluster has a stable controlPlaneEndpoint address.\n'
                 '* The certificates that must be shared among control plane instances are provided.\n')


def _b64url(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def discover(endpoint, token, pins, unsafe, timeout_s):
    """Token discovery: cluster-info over unverified TLS, its JWS signature, the CA pin."""
    tid, _, secret = token.partition('.')
    anon = Api(f'https://{endpoint}', timeout=10)
    url = f'https://{endpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s'
    deadline = time.time() + timeout_s
    while True:
        try:
            code, cm = anon.request('GET', '/api/v1/namespaces/kube-public/configmaps/cluster-info', retry_for=0)
            data = cm.get('data') or {}
            sig = data.get(f'jws-kubeconfig-{tid}')
            problem = None if sig else f'could not find a JWS signature in the cluster-info ConfigMap for token ID "{tid}"'
        except (OSError, http.client.HTTPException) as e:
            problem = f'Get "{url}": dial tcp {endpoint}: {_errtext(e)}'
        if problem is None:
            break
        if time.time() >= deadline:
            raise phase_error('preflight', f"couldn't validate the identity of the API Server: {problem}")
        time.sleep(min(5, max(0.2, deadline - time.time())))
    kc_text = data.get('kubeconfig', '')
    header, _, signature = sig.partition('..')
    payload = base64.urlsafe_b64encode(kc_text.encode()).rstrip(b'=').decode()
    expect = hmac.new(secret.encode(), f'{header}.{payload}'.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expect, _b64url(signature)):
        raise phase_error('preflight', "couldn't validate the identity of the API Server: failed to verify JWS signature of received cluster info object, can't trust this API Server")
    kc = yamlish.load_all(kc_text)[0][0]
    ca_pem = base64.b64decode(kc['clusters'][0]['cluster']['certificate-authority-data']).decode()
    if not unsafe:
        pin = ca_pin(ca_pem)
        if pin.lower() not in [p.lower() for p in pins]:
            raise phase_error('preflight', "couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: "
                              f'none of the public keys "{pin}" are pinned')
    return ca_pem


def _errtext(e):
    if isinstance(e, ConnectionRefusedError):
        return 'connect: connection refused'
    if isinstance(e, (socket.timeout, TimeoutError)):
        return 'i/o timeout'
    return str(getattr(e, 'strerror', None) or e).lower()


def join(pos, flags, version, mixing_rule):
    if 'config' not in flags:
        raise Fatal('hap stand-in: kubeadm join needs --config (hap renders a JoinConfiguration)')
    mixing_rule(flags)
    docs = K.load(flags['config'], version)
    jc = docs.get('JoinConfiguration')
    if not jc:
        raise Fatal('no JoinConfiguration kind was found in the configuration file')
    if jc.get('controlPlane') is None:
        raise Fatal('hap stand-in: only control-plane joins are supported (JoinConfiguration.controlPlane is not set)')
    bt = jc['discovery'].get('bootstrapToken') or {}
    if not bt:
        raise Fatal('hap stand-in: only bootstrap-token discovery is supported')
    reg = dict(jc.get('nodeRegistration') or {})
    name = (reg.get('name') or socket.gethostname()).lower()
    ep = dict((jc['controlPlane'] or {}).get('localAPIEndpoint') or {})
    ep.setdefault('advertiseAddress', K.default_address())
    ep.setdefault('bindPort', 6443)
    say('[preflight] Running pre-flight checks')
    checks = [(f'FileAvailable--etc-kubernetes-{f}', f'{K8S}/{f} already exists' if os.path.exists(f'{K8S}/{f}') else None, True)
              for f in ('kubelet.conf', 'bootstrap-kubelet.conf')]
    manifests = F.MANIFESTS
    if os.path.isdir(manifests) and os.listdir(manifests):
        checks.append(('DirAvailable--etc-kubernetes-manifests', f'{manifests} is not empty', True))
    node_checks = [c for c in F.node_checks(ep['bindPort'], {}) if not c[0].startswith('FileAvailable')]
    F.preflight(checks + node_checks, [x for x in flags.get('ignore-preflight-errors', '').split(',') if x] + list(reg.get('ignorePreflightErrors') or []))
    timeouts = jc.get('timeouts') or {}
    ca_pem = discover(bt['apiServerEndpoint'], bt['token'], bt.get('caCertHashes') or [], bt.get('unsafeSkipCAVerification') is True,
                      F.parse_duration(timeouts.get('discovery') or jc['discovery'].get('timeout'), 300))
    api = Api(f'https://{bt["apiServerEndpoint"]}', ca_pem, token=bt['token'])
    say('[preflight] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...')
    code, cm = api.get('/api/v1/namespaces/kube-system/configmaps/kubeadm-config')
    if code != 200:
        raise phase_error('preflight', f'unable to fetch the kubeadm-config ConfigMap: {cm.get("message")}')
    ccfg_doc = yamlish.load_all(cm['data']['ClusterConfiguration'])[0][0]
    if not ccfg_doc.get('controlPlaneEndpoint'):
        raise phase_error('preflight', CP_CONDITIONS.format(cause="unable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address").rstrip('\n'))
    docs = {'ClusterConfiguration': ccfg_doc, 'InitConfiguration': {'localAPIEndpoint': ep, 'nodeRegistration': {**reg, 'name': name}}}
    cfg = K.defaulted(docs, version)
    cfg['api'] = ccfg_doc['apiVersion']
    pki = cfg['certificatesDir']
    key = (jc['controlPlane'] or {}).get('certificateKey')
    if key:
        C.download_certs(api, pki, cfg['etcd'], key)
    for f in C.CERT_FILES:
        if not os.path.exists(f'{pki}/{f}'):
            kind = 'certificate' if f.endswith('.crt') else 'key'
            what = f'{kind} for CA' if f.startswith('ca.') else f'{kind} {f}'
            raise phase_error('preflight', CP_CONDITIONS.format(
                cause=f"failure loading {what}: couldn't load the {kind} file {pki}/{f}: open {pki}/{f}: no such file or directory").rstrip('\n'))
    say('[control-plane-prepare] Preparing the control plane (hap stand-in: the PKI is in place)')
    F.certs(cfg)
    F.kubeconfigs(cfg, ['admin.conf', 'controller-manager.conf', 'scheduler.conf'])
    F.manifests(cfg, {k: K.extra_args(cfg['cluster'].get(k)) for k in ('apiServer', 'controllerManager', 'scheduler')})
    code, node = api.get(f'/api/v1/nodes/{name}')
    if code == 200 and any(c.get('type') == 'Ready' and c.get('status') == 'True' for c in node.get('status', {}).get('conditions') or []):
        raise phase_error('kubelet-start', f'a Node with name "{name}" and status "Ready" already exists in the cluster. '
                          'You must delete the existing Node or change the name of this new joining Node')
    F.kubelet_files(cfg)
    F.kubeconfigs(cfg, ['kubelet.conf'])
    F.start_control_plane(name)
    F.wait_healthy(cfg, F.parse_duration(timeouts.get('controlPlaneComponentHealthCheck'), 240))
    admin = Api.from_kubeconfig(f'{K8S}/admin.conf')
    C.register_node(admin, name, ep['advertiseAddress'], cfg['version'], reg.get('taints'))
    say('\nThis node has joined the cluster and a new control plane instance was created:\n')
    say('* Certificate signing request was sent to apiserver and approval was received.')
    say('* The Kubelet was informed of the new secure connection details.')
    say('* Control plane label and taint were applied to the new node.')
    say('* The Kubernetes control plane instances scaled up.\n')
    say('To start administering your cluster from this node, you need to run the following as a regular user:\n')
    say('\tmkdir -p $HOME/.kube\n\tsudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config\n\tsudo chown $(id -u):$(id -g) $HOME/.kube/config\n')
    say("Run 'kubectl get nodes' to see this node join the cluster.\n")
