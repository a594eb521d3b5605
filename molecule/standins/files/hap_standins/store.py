"""Objects of the apiserver stand-in, kept in etcd: CRUD, lists with selectors, patches, eviction."""
import base64
import time
import uuid

from . import resources as R

NODE_GRACE = 40  # seconds without a heartbeat before a node stops being Ready (node-monitor-grace-period)


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self):
        s = {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Failure', 'message': self.message,
             'reason': self.reason, 'code': self.code}
        if self.details:
            s['details'] = self.details
        return s


def key(plural, ns, name=None):
    base = f'/registry/{plural}/' + (f'{ns}/' if ns else '')
    return base + name if name is not None else base


def not_found(plural, name):
    return ApiError(404, 'NotFound', f'{plural} "{name}" not found', {'name': name, 'kind': plural})


class Store:
    def __init__(self, etcd):
        self.etcd = etcd

    # --- authentication and authorization (a small fixed policy, not RBAC) ---
    def valid_tokens(self, usage=None):
        objs, _ = self.etcd.list(key('secrets', 'kube-system'))
        out = []
        for o, _ in objs:
            if o.get('type') != 'bootstrap.kubernetes.io/token':
                continue
            d = {k: base64.b64decode(v).decode() for k, v in (o.get('data') or {}).items()}
            exp = R.parse_time(d.get('expiration', ''))
            if exp is not None and exp < time.time():
                continue  # the token cleaner would have deleted it
            if usage and d.get(f'usage-bootstrap-{"authentication" if usage == "auth" else usage}') != 'true':
                continue
            out.append({'id': d.get('token-id', ''), 'secret': d.get('token-secret', ''), 'groups': d.get('auth-extra-groups', '')})
        return out

    def bootstrap_user(self, token):
        tid, _, secret = token.partition('.')
        for t in self.valid_tokens(usage='auth'):
            if t['id'] == tid and t['secret'] == secret:
                groups = ['system:bootstrappers'] + [g for g in t['groups'].split(',') if g]
                return {'name': f'system:bootstrap:{tid}', 'groups': groups, 'via': 'token'}
        raise ApiError(401, 'Unauthorized', 'Unauthorized')

    def authorize(self, user, verb, group, rest):
        if user is None:
            return
        if user['via'] == 'cert':
            return  # every certificate the cluster CA signed is trusted (no RBAC in the stand-in)
        ns, plural, name = (rest[1], rest[2], rest[3] if len(rest) > 3 else '') if rest[0] == 'namespaces' and len(rest) > 2 else ('', rest[0], rest[1] if len(rest) > 1 else '')
        allowed = (verb == 'GET' and plural == 'configmaps' and ns in ('kube-system', 'kube-public')) or \
                  (plural == 'nodes') or \
                  (verb == 'GET' and plural == 'secrets' and ns == 'kube-system' and name == 'kubeadm-certs' and
                   self.etcd.get(key('roles', 'kube-system', 'kubeadm:kubeadm-certs'))[0] is not None)
        if not allowed:
            res = f'"{plural}"' + (f' in API group "{group}"' if group else ' in API group ""')
            where = f' in the namespace "{ns}"' if ns else ' at the cluster scope'
            raise ApiError(403, 'Forbidden', f'{plural} "{name}" is forbidden: User "{user["name"]}" cannot {verb.lower()} resource {res}{where}')

    # --- objects ---
    def parse(self, group, version, rest):
        ns = None
        if rest[0] == 'namespaces' and len(rest) >= 3:
            ns, rest = rest[1], rest[2:]
        res = R.find(group, version, rest[0])
        if res is None:
            raise ApiError(404, 'NotFound', 'the server could not find the requested resource')
        return res, ns, (rest[1] if len(rest) > 1 else None), (rest[2] if len(rest) > 2 else None)

    def handle(self, verb, group, version, rest, query, body, ctype, accept):
        res, ns, name, sub = self.parse(group, version, rest)
        plural, kind, namespaced = res[2], res[3], res[4]
        if not namespaced:
            ns = None
        q = lambda k: (query.get(k) or [''])[0]
        if verb == 'GET' and name is None:
            objs, rev = self.list(plural, ns, namespaced)
            objs = [o for o in objs if R.match_fields(o, q('fieldSelector')) and R.match_labels(o, q('labelSelector'))]
            if 'as=Table' in accept:
                return 200, R.table(kind, objs, q('includeObject'))
            return 200, {'kind': f'{kind}List', 'apiVersion': R.api_version(group, version), 'metadata': {'resourceVersion': str(rev)}, 'items': objs}
        if verb == 'POST' and name is None:
            return 201, self.create(plural, kind, group, version, ns, body)
        if verb == 'POST' and sub == 'eviction':
            self.delete(plural, ns, name)
            return 201, {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Success', 'code': 201}
        if verb == 'GET':
            obj = self.get(plural, ns, name)
            if 'as=Table' in accept:
                return 200, R.table(kind, [obj], q('includeObject'))
            return 200, obj
        if verb == 'PUT':
            return 200, self.update(plural, ns, name, body)
        if verb == 'PATCH':
            if 'json-patch' in ctype:
                raise ApiError(415, 'UnsupportedMediaType', 'the stand-in supports merge and strategic-merge patches only')
            cur = self.get(plural, ns, name)
            return 200, self.update(plural, ns, name, R.merge_patch(cur, body), check_version=False)
        if verb == 'DELETE':
            self.delete(plural, ns, name)
            return 200, {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Success', 'details': {'name': name, 'kind': plural}}
        raise ApiError(405, 'MethodNotAllowed', f'{verb} is not supported')

    def decorate(self, plural, obj, rev):
        obj.setdefault('metadata', {})['resourceVersion'] = str(rev)
        if plural == 'nodes':
            self.node_status(obj)
        return obj

    def get(self, plural, ns, name):
        obj, rev = self.etcd.get(key(plural, ns, name))
        if obj is None:
            raise not_found(plural, name)
        return self.decorate(plural, obj, rev)

    def list(self, plural, ns, namespaced):
        items, rev = self.etcd.list(key(plural, ns) if ns or not namespaced else f'/registry/{plural}/')
        return [self.decorate(plural, o, r) for o, r in items], rev

    def create(self, plural, kind, group, version, ns, obj):
        if not isinstance(obj, dict) or not obj.get('metadata', {}).get('name'):
            raise ApiError(422, 'Invalid', f'{kind} is invalid: metadata.name: Required value: name or generateName is required')
        meta = obj['metadata']
        if ns is not None and ns != 'kube-system' and plural != 'namespaces':
            if self.etcd.get(key('namespaces', None, ns))[0] is None:
                raise ApiError(404, 'NotFound', f'namespaces "{ns}" not found', {'name': ns, 'kind': 'namespaces'})
        obj.update({'kind': kind, 'apiVersion': R.api_version(group, version)})
        meta.update({'uid': str(uuid.uuid4()), 'creationTimestamp': R.now_rfc3339()})
        meta.pop('resourceVersion', None)
        if ns is not None:
            meta['namespace'] = ns
        rev = self.etcd.create(key(plural, ns, meta['name']), obj)
        if rev is None:
            raise ApiError(409, 'AlreadyExists', f'{plural} "{meta["name"]}" already exists', {'name': meta['name'], 'kind': plural})
        return self.decorate(plural, obj, rev)

    def update(self, plural, ns, name, obj, check_version=True):
        cur, rev = self.etcd.get(key(plural, ns, name))
        if cur is None:
            raise not_found(plural, name)
        want = obj.get('metadata', {}).get('resourceVersion')
        if check_version and want and want != str(rev):
            raise ApiError(409, 'Conflict', f'Operation cannot be fulfilled on {plural} "{name}": the object has been modified; please apply your changes to the latest version and try again')
        for k in ('uid', 'creationTimestamp'):
            obj.setdefault('metadata', {})[k] = cur['metadata'].get(k)
        obj['metadata'].pop('resourceVersion', None)
        if plural == 'nodes' and 'status' in obj:
            obj['status'].pop('conditions', None)  # computed from the heartbeat, never stored
        new = self.etcd.swap(key(plural, ns, name), rev, obj)
        if new is None:
            raise ApiError(409, 'Conflict', f'Operation cannot be fulfilled on {plural} "{name}": the object has been modified; please apply your changes to the latest version and try again')
        return self.decorate(plural, obj, new)

    def delete(self, plural, ns, name):
        if not self.etcd.delete(key(plural, ns, name)):
            raise not_found(plural, name)

    # --- what controllers would do ---
    def ensure_namespaces(self):
        for ns in ('default', 'kube-system', 'kube-public', 'kube-node-lease'):
            obj = {'kind': 'Namespace', 'apiVersion': 'v1', 'metadata': {'name': ns, 'uid': str(uuid.uuid4()),
                   'creationTimestamp': R.now_rfc3339()}, 'spec': {'finalizers': ['kubernetes']}, 'status': {'phase': 'Active'}}
            self.etcd.create(key('namespaces', None, ns), obj)

    def node_status(self, node):
        lease, _ = self.etcd.get(key('leases', 'kube-node-lease', node['metadata']['name']))
        renewed = R.parse_time((lease or {}).get('spec', {}).get('renewTime', ''))
        fresh = renewed is not None and time.time() - renewed < NODE_GRACE
        node.setdefault('status', {})['conditions'] = [{
            'type': 'Ready', 'status': 'True' if fresh else 'Unknown',
            'reason': 'KubeletReady' if fresh else 'NodeStatusUnknown',
            'message': 'kubelet is posting ready status' if fresh else 'Kubelet stopped posting node status.',
            'lastHeartbeatTime': (lease or {}).get('spec', {}).get('renewTime'), 'lastTransitionTime': (lease or {}).get('spec', {}).get('renewTime')}]

    def heartbeat(self, node):
        k = key('leases', 'kube-node-lease', node)
        cur, rev = self.etcd.get(k)
        lease = cur or {'kind': 'Lease', 'apiVersion': 'coordination.k8s.io/v1',
                        'metadata': {'name': node, 'namespace': 'kube-node-lease', 'uid': str(uuid.uuid4()), 'creationTimestamp': R.now_rfc3339()},
                        'spec': {'holderIdentity': node, 'leaseDurationSeconds': NODE_GRACE}}
        lease['spec']['renewTime'] = R.now_rfc3339()
        self.etcd.swap(k, rev, lease)

    def report_kubelet(self, node, version):
        """The kubelet's node status update: nodeInfo shows the version of the kubelet that runs. True once stored."""
        k = key('nodes', None, node)
        cur, rev = self.etcd.get(k)
        if cur is None:
            return False  # not registered yet (init/join registers it)
        info = cur.setdefault('status', {}).setdefault('nodeInfo', {})
        if info.get('kubeletVersion') == version:
            return True
        info['kubeletVersion'] = version
        return self.etcd.swap(k, rev, cur) is not None

    def elect(self, name, identity, duration=15):
        k = key('leases', 'kube-system', name)
        cur, rev = self.etcd.get(k)
        now = R.now_rfc3339()
        if cur:
            spec = cur['spec']
            renewed = R.parse_time(spec.get('renewTime', '')) or 0
            if spec.get('holderIdentity') != identity and time.time() - renewed < spec.get('leaseDurationSeconds', duration):
                return False
            if spec.get('holderIdentity') != identity:
                spec.update({'holderIdentity': identity, 'acquireTime': now, 'leaseTransitions': spec.get('leaseTransitions', 0) + 1})
            spec['renewTime'] = now
            return self.etcd.swap(k, rev, cur) is not None
        lease = {'kind': 'Lease', 'apiVersion': 'coordination.k8s.io/v1',
                 'metadata': {'name': name, 'namespace': 'kube-system', 'uid': str(uuid.uuid4()), 'creationTimestamp': now},
                 'spec': {'holderIdentity': identity, 'leaseDurationSeconds': duration, 'acquireTime': now, 'renewTime': now, 'leaseTransitions': 0}}
        return self.etcd.create(k, lease) is not None
