"""kubeadm STAND-IN (hap test double): the commands hap's roles run, following BEHAVIOUR.md."""
import json
import secrets
import signal
import sys

from . import cluster as C
from . import config as K
from . import files as F
from .common import K8S, Fatal, STACK_HINT, Api, installed_version, minor, say
from .join import join
from .ops import reset, token, upgrade

VALUE_FLAGS = {'config', 'ignore-preflight-errors', 'certificate-key', 'kubeconfig', 'node-name', 'skip-phases', 'token', 'discovery-token-ca-cert-hash',
               'ttl', 'description', 'usages', 'groups', 'v', 'apiserver-advertise-address', 'apiserver-bind-port', 'kubernetes-version', 'cri-socket',
               'log-file', 'rootfs', 'kubeconfig-dir', 'output', 'o', 'control-plane-endpoint', 'pod-network-cidr', 'service-cidr', 'cert-dir',
               'discovery-token-apiserver', 'discovery-file'}
CONFIG_COMPATIBLE = {'config', 'ignore-preflight-errors', 'dry-run', 'kubeconfig', 'node-name', 'kubeconfig-dir', 'upload-certs',
                     'print-join-command', 'rootfs', 'v', 'log-file', 'yes', 'y', 'force', 'f'}


def parse(argv):
    pos, flags = [], {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith('-') and a != '-':
            name, eq, value = a.lstrip('-').partition('=')
            if not eq and name in VALUE_FLAGS:
                i += 1
                value = argv[i] if i < len(argv) else ''
            elif not eq:
                value = 'true'
            flags[name] = value
        else:
            pos.append(a)
        i += 1
    return pos, flags


def mixing_rule(flags):
    if 'config' not in flags:
        return
    bad = sorted(f for f in flags if f not in CONFIG_COMPATIBLE and not f.startswith('skip-'))
    if bad:
        raise Fatal(f"can not mix '--config' with arguments [{' '.join(bad)}]")


def ignored(flags, registration):
    out = [x for x in flags.get('ignore-preflight-errors', '').split(',') if x]
    return out + list(registration.get('ignorePreflightErrors') or [])


def init(flags, version):
    if 'config' not in flags:
        raise Fatal('hap stand-in: kubeadm init needs --config (hap renders one)')
    mixing_rule(flags)
    cfg = K.defaulted(K.load(flags['config'], version), version)
    say(f'[init] Using Kubernetes version: {cfg["version"]}')
    say('[preflight] Running pre-flight checks')
    F.preflight(F.node_checks(cfg['endpoint']['bindPort'], cfg['etcd']), ignored(flags, cfg['registration']))
    say('[preflight] Pulling images required for setting up a Kubernetes cluster (hap stand-in: nothing to pull)')
    F.certs(cfg)
    names = ['admin.conf'] + (['super-admin.conf'] if minor(version) >= 29 else []) + ['kubelet.conf', 'controller-manager.conf', 'scheduler.conf']
    F.kubeconfigs(cfg, names)
    say(f'[etcd] hap stand-in: external etcd at {",".join(cfg["etcd"].get("endpoints") or [])} (no local etcd manifest)')
    F.manifests(cfg, {k: K.extra_args(cfg['cluster'].get(k)) for k in ('apiServer', 'controllerManager', 'scheduler')})
    F.kubelet_files(cfg)
    F.start_control_plane(cfg['registration']['name'])
    timeouts = cfg['init'].get('timeouts') or {}
    F.wait_healthy(cfg, F.parse_duration(timeouts.get('controlPlaneComponentHealthCheck') or (cfg['cluster'].get('apiServer') or {}).get('timeoutForControlPlane'), 240))
    api = Api.from_kubeconfig(f'{K8S}/admin.conf')
    C.upload_config(api, cfg)
    key = None
    if 'upload-certs' in flags:
        key = cfg['init'].get('certificateKey') or secrets.token_hex(32)
        C.upload_certs(api, cfg['certificatesDir'], cfg['etcd'], key)
    else:
        say('[upload-certs] Skipping phase. Please see --upload-certs')
    C.register_node(api, cfg['registration']['name'], cfg['endpoint']['advertiseAddress'], cfg['version'], cfg['registration'].get('taints'))
    tokens = C.bootstrap_tokens(api, cfg['init'])
    C.cluster_info(api, cfg)
    say('[addons] hap stand-in: CoreDNS and kube-proxy are not deployed')
    final_block(cfg, tokens, key, flags)


def join_command(endpoint, token, ca_hash, key=None, one_line=False):
    """kubeadm's join command; --print-join-command drops the backslash-newlines and keeps the indentation."""
    sep = '     ' if one_line else ' \\\n    '
    cmd = f'kubeadm join {endpoint} --token {token}{sep}--discovery-token-ca-cert-hash {ca_hash} '
    return cmd + (f'{sep.lstrip(" ") if not one_line else "    "}--control-plane --certificate-key {key}' if key else '')


def final_block(cfg, tokens, key, flags):
    from .x509 import ca_pin
    from .common import read
    ca_hash = ca_pin(read(f'{cfg["certificatesDir"]}/ca.crt'))
    say('\nYour Kubernetes control-plane has initialized successfully!\n')
    say('To start using your cluster, you need to run the following as a regular user:\n')
    say('  mkdir -p $HOME/.kube\n  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config\n  sudo chown $(id -u):$(id -g) $HOME/.kube/config\n')
    say('Alternatively, if you are the root user, you can run:\n\n  export KUBECONFIG=/etc/kubernetes/admin.conf\n')
    say('You should now deploy a pod network to the cluster.\nRun "kubectl apply -f [podnetwork].yaml" with one of the options listed at:')
    say('  https://kubernetes.io/docs/concepts/cluster-administration/addons/\n')
    for t in tokens:
        shown = '<value withheld>' if 'skip-token-print' in flags else t
        shown_key = '<value withheld>' if 'skip-certificate-key-print' in flags else key
        if cfg['cluster'].get('controlPlaneEndpoint'):
            if key:
                say('You can now join any number of the control-plane node running the following command on each as root:\n')
                say('  ' + join_command(cfg['controlPlaneEndpoint'], shown, ca_hash, shown_key).replace('\n    ', '\n\t') + '\n')
                say('Please note that the certificate-key gives access to cluster sensitive data, keep it secret!')
                say('As a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use')
                say('"kubeadm init phase upload-certs --upload-certs" to reload certs afterward.\n')
            else:
                say('You can now join any number of control-plane nodes by copying certificate authorities')
                say('and service account keys on each node and then running the following as root:\n')
                say('  ' + join_command(cfg['controlPlaneEndpoint'], shown, ca_hash).replace('\n    ', '\n\t') + '\\\n\t--control-plane \n')
        say('Then you can join any number of worker nodes by running the following on each as root:\n')
        say(join_command(cfg['controlPlaneEndpoint'], shown, ca_hash).replace('\n    ', '\n\t'))


def version_cmd(flags, version):
    out = flags.get('output') or flags.get('o')
    info = {'major': version[1:].split('.')[0], 'minor': version.split('.')[1], 'gitVersion': version, 'gitCommit': 'hap-standin',
            'gitTreeState': 'clean', 'buildDate': '2026-01-01T00:00:00Z', 'goVersion': 'go1.22.0', 'compiler': 'gc', 'platform': 'linux/amd64'}
    if out == 'short':
        say(version)
    elif out == 'json':
        say(json.dumps({'clientVersion': info}, indent=2))
    elif out == 'yaml':
        from .yamlish import dump
        sys.stdout.write(dump({'clientVersion': info}))
    else:
        fields = ', '.join(f'{k[0].upper()}{k[1:]}:"{v}"' for k, v in info.items())
        say(f'kubeadm version: &version.Info{{{fields}}}')


def upload_certs_phase(flags, version):
    mixing_rule({k: v for k, v in flags.items() if k != 'certificate-key'} if 'config' not in flags else flags)
    if 'upload-certs' not in flags:
        say('[upload-certs] Skipping phase. Please see --upload-certs')
        return
    etcd, pki, key = {}, '/etc/kubernetes/pki', flags.get('certificate-key')
    if 'config' in flags:
        docs = K.load(flags['config'], version)
        etcd = ((docs.get('ClusterConfiguration') or {}).get('etcd') or {}).get('external') or {}
        pki = (docs.get('ClusterConfiguration') or {}).get('certificatesDir', pki)
        key = (docs.get('InitConfiguration') or {}).get('certificateKey') or key
    C.upload_certs(Api.from_kubeconfig(flags.get('kubeconfig', f'{K8S}/admin.conf')), pki, etcd, key or secrets.token_hex(32))


def config_validate(flags, version):
    docs = K.load(flags.get('config', ''), version, strict=True)
    if not docs:
        raise Fatal('no configuration documents found')
    say('ok')


def dispatch(argv):
    pos, flags = parse(argv)
    version = installed_version()
    cmd = pos[:3]
    if cmd[:1] == ['version']:
        return version_cmd(flags, version)
    if cmd[:3] == ['init', 'phase', 'upload-certs']:
        return upload_certs_phase(flags, version)
    if cmd[:1] == ['init']:
        return init(flags, version)
    if cmd[:1] == ['join']:
        return join(pos[1:], flags, version, mixing_rule)
    if cmd[:1] == ['reset']:
        return reset(flags)
    if cmd[:1] == ['token']:
        return token(pos[1:], flags, version)
    if cmd[:1] == ['upgrade']:
        return upgrade(pos[1:], flags, version)
    if cmd[:2] == ['certs', 'certificate-key']:
        return say(secrets.token_hex(32))
    if cmd[:2] == ['config', 'validate']:
        return config_validate(flags, version)
    raise Fatal(f'hap stand-in: unsupported kubeadm command: {" ".join(pos) or "(none)"}')


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `kubeadm token list | head` ends quietly, as a Go binary does
    try:
        dispatch(sys.argv[1:])
        return 0
    except Fatal as e:
        sys.stdout.flush()
        sys.stderr.write(f'{e.message}\n{STACK_HINT}\n')
        return e.code
    except KeyboardInterrupt:
        return 130


if __name__ == '__main__':
    sys.exit(main())
