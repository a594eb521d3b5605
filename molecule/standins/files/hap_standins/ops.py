"""kubeadm reset, token and upgrade (BEHAVIOUR.md §4, §6, §8)."""
import base64
import datetime
import glob
import os
import shutil
import subprocess
import sys
import time

from . import cluster as C
from . import files as F
from . import yamlish
from .common import K8S, KUBELET_DIR, MANIFESTS, PKI, UNIT, Api, Fatal, minor, read, say, write_file
from .x509 import ca_pin


def reset(flags):
    if 'force' not in flags and 'f' not in flags:
        sys.stdout.write('[reset] Are you sure you want to proceed? [y/N]: ')
        sys.stdout.flush()
        if sys.stdin.readline().strip().lower() not in ('y', 'yes'):
            raise Fatal("won't proceed; the user didn't answer (Y|y) in order to continue")
    say('[preflight] Running pre-flight checks')
    say('[reset] hap stand-in: external etcd is not touched (no member removal)')
    say('[reset] Stopping the kubelet service (hap stand-in: the kube-apiserver stand-in unit)')
    subprocess.run(['systemctl', 'disable', '--now', UNIT], capture_output=True)
    dirs = [MANIFESTS, KUBELET_DIR, PKI]
    say(f'[reset] Deleting contents of directories: [{" ".join(dirs)}]')
    for d in dirs:
        for p in glob.glob(f'{d}/*'):
            shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)
    files = [f'{K8S}/{n}' for n in ('admin.conf', 'super-admin.conf', 'kubelet.conf', 'bootstrap-kubelet.conf', 'controller-manager.conf', 'scheduler.conf')]
    say(f'[reset] Deleting files: [{" ".join(files)}]')
    for f in files:
        if os.path.exists(f):
            os.unlink(f)
    say('\nThe reset process does not clean CNI configuration. To do so, you must remove /etc/cni/net.d\n')
    say('The reset process does not reset or clean up iptables rules or IPVS tables.\n')
    say('The reset process does not clean your kubeconfig files and you must remove them manually.\nPlease, check the contents of the $HOME/.kube/config file.')


def _admin(flags):
    path = flags.get('kubeconfig', f'{K8S}/admin.conf')
    if not os.path.exists(path):
        raise Fatal(f'failed to load admin kubeconfig: open {path}: no such file or directory')
    return Api.from_kubeconfig(path)


def _ttl_text(exp):
    if not exp:
        return '<forever>'
    left = datetime.datetime.strptime(exp, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc).timestamp() - time.time()
    if left < 0:
        return '<invalid>'
    return f'{int(left // 3600)}h' if left >= 3600 else f'{int(left // 60)}m' if left >= 60 else f'{int(left)}s'


def token(pos, flags, version):
    from .files import parse_duration
    from .kubeadm import join_command
    sub = pos[0] if pos else ''
    api = _admin(flags)
    if sub == 'create':
        tok = pos[1] if len(pos) > 1 else C.new_token()
        import re
        if not re.fullmatch(r'[a-z0-9]{6}\.[a-z0-9]{16}', tok):
            raise Fatal(f'the bootstrap token "{tok}" was not of the form "^([a-z0-9]{{6}})\\.([a-z0-9]{{16}})$"')
        ttl = parse_duration(flags.get('ttl'), 86400)
        usages = tuple(flags.get('usages', 'signing,authentication').split(','))
        groups = tuple(g for g in flags.get('groups', C.NODE_GROUP).split(',') if g)
        api.apply('/api/v1/namespaces/kube-system/secrets', C.token_secret(tok, ttl, usages, groups, flags.get('description', '')))
        if 'print-join-command' in flags:
            code, cm = api.get('/api/v1/namespaces/kube-public/configmaps/cluster-info')
            kc = yamlish.load_all(cm['data']['kubeconfig'])[0][0]['clusters'][0]['cluster']
            server = yamlish.load_all(read(flags.get('kubeconfig', f'{K8S}/admin.conf')))[0][0]['clusters'][0]['cluster']['server']
            ca_hash = ca_pin(base64.b64decode(kc['certificate-authority-data']).decode())
            say(join_command(server.replace('https://', ''), tok, ca_hash, flags.get('certificate-key'), one_line=True))
        else:
            say(tok)
    elif sub == 'list':
        code, lst = api.get('/api/v1/namespaces/kube-system/secrets')
        rows = []
        for s in lst.get('items') or []:
            if s.get('type') != 'bootstrap.kubernetes.io/token':
                continue
            d = {k: base64.b64decode(v).decode() for k, v in (s.get('data') or {}).items()}
            exp = d.get('expiration', '')
            if exp and _ttl_text(exp) == '<invalid>':
                continue  # the token cleaner deletes expired tokens
            usages = ','.join(u for u in ('authentication', 'signing') if d.get(f'usage-bootstrap-{u}') == 'true') or '<none>'
            rows.append([f'{d["token-id"]}.{d["token-secret"]}', _ttl_text(exp), exp or '<never>', usages,
                         d.get('description') or '<none>', d.get('auth-extra-groups') or '<none>'])
        if rows:
            rows.insert(0, ['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS'])
            widths = [max(len(r[i]) for r in rows) + 3 for i in range(6)]
            for r in rows:
                say(''.join(c.ljust(w) for c, w in zip(r[:-1], widths)) + r[-1])
    elif sub == 'delete':
        for t in pos[1:]:
            tid = t.split('.')[0]
            code, _ = api.request('DELETE', f'/api/v1/namespaces/kube-system/secrets/bootstrap-token-{tid}')
            if code == 404:
                raise Fatal(f'bootstrap token "{tid}" not found')
            say(f'bootstrap token "{tid}" deleted')
    else:
        raise Fatal(f'hap stand-in: unsupported token command {sub!r}')


def _cluster_config(api):
    code, cm = api.get('/api/v1/namespaces/kube-system/configmaps/kubeadm-config')
    if code != 200:
        raise Fatal(f'unable to fetch the kubeadm-config ConfigMap: {cm.get("message")}')
    return yamlish.load_all(cm['data']['ClusterConfiguration'])[0][0]


def _set_manifest_version(target):
    backup = f'{K8S}/tmp/kubeadm-backup-manifests-{time.strftime("%Y-%m-%d-%H-%M-%S")}'
    os.makedirs(backup, exist_ok=True)
    for name in ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler'):
        path = f'{MANIFESTS}/{name}.yaml'
        shutil.copy(path, backup)
        pod = yamlish.load_all(read(path))[0][0]
        c = pod['spec']['containers'][0]
        c['image'] = f'{c["image"].rsplit(":", 1)[0]}:{target}'
        write_file(path, yamlish.dump(pod), 0o600)
        say(f'[upgrade/staticpods] Moving new manifest to "{path}" and backing up old manifest to "{backup}/{name}.yaml"')
    subprocess.run(['systemctl', 'restart', UNIT], check=True)


def _wait_local():
    pod = yamlish.load_all(read(f'{MANIFESTS}/kube-apiserver.yaml'))[0][0]
    flags = dict(a[2:].split('=', 1) for a in pod['spec']['containers'][0]['command'][1:] if '=' in a)
    cfg = {'endpoint': {'advertiseAddress': flags['advertise-address'], 'bindPort': flags['secure-port']}, 'certificatesDir': PKI}
    F.wait_healthy(cfg, 240)


def _v(s):
    return tuple(int(x) for x in s.lstrip('v').split('-')[0].split('.'))


def upgrade(pos, flags, version):
    sub = pos[0] if pos else ''
    api = _admin(flags)
    ccfg = _cluster_config(api)
    current = ccfg['kubernetesVersion']
    if sub == 'plan':
        say('[upgrade/config] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...')
        say(f'[upgrade] Running cluster health checks\n[upgrade] Fetching available versions to upgrade to\n[upgrade/versions] Cluster version: {current}')
        say(f'[upgrade/versions] kubeadm version: {version}')
        if _v(version) > _v(current):
            say('\nUpgrade to the latest version in the stand-in series:\n')
            say('COMPONENT                 NODE      CURRENT   TARGET')
            for comp in ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler'):
                say(f'{comp:<26}          {current:<9} {version}')
            say(f'\nYou can now apply the upgrade by executing the following command:\n\n\tkubeadm upgrade apply {version}\n')
        else:
            say('\nAwesome, you\'re up-to-date! Enjoy!')
    elif sub == 'apply':
        target = pos[1] if len(pos) > 1 else version
        target = target if target.startswith('v') else f'v{target}'
        if 'yes' not in flags and 'y' not in flags:
            raise Fatal('hap stand-in: pass --yes (the stand-in does not prompt)')
        fatal, skippable = [], []
        if minor(target) - minor(current) > 1:
            fatal.append(f'Specified version to upgrade to "{target}" is too high; kubeadm can upgrade only 1 minor version at a time')
        if minor(current) - minor(target) > 1:
            fatal.append(f'Specified version to downgrade to "{target}" is too low; kubeadm can downgrade only 1 minor version at a time')
        if minor(target) > minor(version):
            fatal.append(f'Specified version to upgrade to "{target}" is at least one minor release higher than the kubeadm minor release '
                         f'({minor(target)} > {minor(version)}). Such an upgrade is not supported')
        elif _v(target) > _v(version):
            skippable.append(f'Specified version to upgrade to "{target}" is higher than the kubeadm version "{version}". '
                             'Upgrade kubeadm first using the tool you used to install kubeadm')
        if fatal or (skippable and 'force' not in flags):
            lines = fatal or skippable
            head = 'due to these fatal errors' if fatal else 'due to these errors'
            tail = 'Please fix the misalignments highlighted above and try upgrading again' if fatal else 'Can be bypassed if you pass the --force flag'
            raise Fatal(f'[upgrade/version] FATAL: the --version argument is invalid {head}:\n\n' + '\n'.join(f'\t- {l}' for l in lines) + f'\n\n{tail}')
        say(f'[upgrade/version] You have chosen to change the cluster version to "{target}"')
        _set_manifest_version(target)
        _wait_local()
        ccfg['kubernetesVersion'] = target
        api.apply('/api/v1/namespaces/kube-system/configmaps', {'apiVersion': 'v1', 'kind': 'ConfigMap',
                  'metadata': {'name': 'kubeadm-config', 'namespace': 'kube-system'}, 'data': {'ClusterConfiguration': yamlish.dump(ccfg)}})
        say(f'\n[upgrade/successful] SUCCESS! Your cluster was upgraded to "{target}". Enjoy!')
    elif sub == 'node':
        if not os.path.exists(f'{MANIFESTS}/kube-apiserver.yaml'):
            say('[upgrade] Skipping phase. Not a control plane node.')
            return
        say('[upgrade] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...')
        _set_manifest_version(current)
        _wait_local()
        say(f'[upgrade/control-plane] The control plane instance for this node was successfully upgraded to {current}!')
    else:
        raise Fatal(f'hap stand-in: unsupported upgrade command {sub!r}')
