"""The API resources the apiserver stand-in serves: discovery documents, tables, selectors, patches."""
import datetime
import time

# (group, version, plural, kind, namespaced, short names)
RESOURCES = [
    ('', 'v1', 'namespaces', 'Namespace', False, ['ns']),
    ('', 'v1', 'nodes', 'Node', False, ['no']),
    ('', 'v1', 'pods', 'Pod', True, ['po']),
    ('', 'v1', 'configmaps', 'ConfigMap', True, ['cm']),
    ('', 'v1', 'secrets', 'Secret', True, []),
    ('', 'v1', 'services', 'Service', True, ['svc']),
    ('', 'v1', 'events', 'Event', True, ['ev']),
    ('apps', 'v1', 'daemonsets', 'DaemonSet', True, ['ds']),
    ('apps', 'v1', 'deployments', 'Deployment', True, ['deploy']),
    ('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', True, ['pdb']),
    ('coordination.k8s.io', 'v1', 'leases', 'Lease', True, []),
    ('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', True, []),
    ('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', True, []),
    ('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', False, []),
]
VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']


def find(group, version, plural):
    for r in RESOURCES:
        if r[0] == group and r[1] == version and r[2] == plural:
            return r
    return None


def api_version(group, version):
    return f'{group}/{version}' if group else version


def resource_list(group, version):
    items = []
    for g, v, plural, kind, namespaced, short in RESOURCES:
        if g == group and v == version:
            items.append({'name': plural, 'singularName': kind.lower(), 'namespaced': namespaced, 'kind': kind,
                          'verbs': VERBS, **({'shortNames': short} if short else {})})
            if plural == 'nodes' or plural == 'pods':
                items.append({'name': f'{plural}/status', 'singularName': '', 'namespaced': namespaced, 'kind': kind,
                              'verbs': ['get', 'patch', 'update']})
            if plural == 'pods':
                # kubectl drain looks for this entry before it evicts
                items.append({'name': 'pods/eviction', 'singularName': '', 'namespaced': True, 'group': 'policy',
                              'version': 'v1', 'kind': 'Eviction', 'verbs': ['create']})
    return {'kind': 'APIResourceList', 'apiVersion': 'v1', 'groupVersion': api_version(group, version), 'resources': items}


def group_list():
    groups = []
    for g in dict.fromkeys(r[0] for r in RESOURCES if r[0]):
        gv = {'groupVersion': f'{g}/v1', 'version': 'v1'}
        groups.append({'name': g, 'versions': [gv], 'preferredVersion': gv})
    return {'kind': 'APIGroupList', 'apiVersion': 'v1', 'groups': groups}


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def parse_time(s):
    try:
        return datetime.datetime.strptime(s.replace('.000000', ''), '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc).timestamp()
    except (ValueError, AttributeError):
        return None


def human_age(ts):
    t = parse_time(ts)
    if t is None:
        return '<unknown>'
    s = int(time.time() - t)
    if s < 120:
        return f'{max(s, 0)}s'
    if s < 3600 * 3:
        return f'{s // 60}m'
    if s < 86400 * 2:
        return f'{s // 3600}h'
    return f'{s // 86400}d'


def _field(obj, dotted):
    cur = obj
    for p in dotted.split('.'):
        cur = cur.get(p) if isinstance(cur, dict) else None
    return '' if cur is None else str(cur)


def match_fields(obj, selector):
    for term in filter(None, (selector or '').split(',')):
        if '!=' in term:
            k, v = term.split('!=', 1)
            if _field(obj, k) == v:
                return False
        else:
            k, v = term.replace('==', '=').split('=', 1)
            if _field(obj, k) != v:
                return False
    return True


def match_labels(obj, selector):
    labels = obj.get('metadata', {}).get('labels') or {}
    for term in filter(None, (selector or '').split(',')):
        term = term.strip()
        if '!=' in term:
            k, v = term.split('!=', 1)
            if labels.get(k) == v:
                return False
        elif '=' in term:
            k, v = term.replace('==', '=').split('=', 1)
            if labels.get(k) != v:
                return False
        elif term.startswith('!'):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def merge_patch(target, patch):
    """RFC 7386 merge patch; strategic-merge patches of maps behave the same for kubectl cordon/label."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith('$'):
            continue
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def node_roles(node):
    labels = node.get('metadata', {}).get('labels') or {}
    roles = sorted(k.split('/', 1)[1] for k in labels if k.startswith('node-role.kubernetes.io/'))
    return ','.join(roles) or '<none>'


def node_ready(node):
    for c in node.get('status', {}).get('conditions') or []:
        if c.get('type') == 'Ready':
            return c.get('status')
    return 'Unknown'


def table(kind, objects, include_object):
    meta = lambda o: {'kind': 'PartialObjectMetadata', 'apiVersion': 'meta.k8s.io/v1', 'metadata': o.get('metadata', {})}
    name = {'name': 'Name', 'type': 'string', 'format': 'name', 'description': 'Name', 'priority': 0}
    age = {'name': 'Age', 'type': 'string', 'format': '', 'description': 'Age', 'priority': 0}
    col = lambda n, p=0: {'name': n, 'type': 'string', 'format': '', 'description': n, 'priority': p}
    rows = []
    if kind == 'Node':
        cols = [name, col('Status'), col('Roles'), age, col('Version'), col('Internal-IP', 1)]
        for o in objects:
            status = {'True': 'Ready', 'False': 'NotReady'}.get(node_ready(o), 'NotReady')
            if o.get('spec', {}).get('unschedulable'):
                status += ',SchedulingDisabled'
            ip = next((a['address'] for a in o.get('status', {}).get('addresses') or [] if a.get('type') == 'InternalIP'), '<none>')
            rows.append([o['metadata']['name'], status, node_roles(o), human_age(o['metadata'].get('creationTimestamp')),
                         o.get('status', {}).get('nodeInfo', {}).get('kubeletVersion', ''), ip])
    elif kind == 'Pod':
        cols = [name, col('Ready'), col('Status'), col('Restarts'), age, col('Node', 1)]
        for o in objects:
            n = len(o.get('spec', {}).get('containers') or [])
            rows.append([o['metadata']['name'], f'0/{n}', o.get('status', {}).get('phase', 'Pending'), 0,
                         human_age(o['metadata'].get('creationTimestamp')), o.get('spec', {}).get('nodeName', '<none>')])
    elif kind == 'ConfigMap' or kind == 'Secret':
        cols = [name] + ([col('Type')] if kind == 'Secret' else []) + [col('Data'), age]
        for o in objects:
            extra = [o.get('type', 'Opaque')] if kind == 'Secret' else []
            rows.append([o['metadata']['name'], *extra, len(o.get('data') or {}) + len(o.get('binaryData') or {}),
                         human_age(o['metadata'].get('creationTimestamp'))])
    else:
        cols = [name, age]
        rows = [[o['metadata']['name'], human_age(o['metadata'].get('creationTimestamp'))] for o in objects]
    return {'kind': 'Table', 'apiVersion': 'meta.k8s.io/v1', 'metadata': {}, 'columnDefinitions': cols,
            'rows': [{'cells': cells, 'object': o if include_object == 'Object' else meta(o)} for cells, o in zip(rows, objects)]}


def openapi_v3_index():
    gvs = dict.fromkeys(('api/v1' if not g else f'apis/{g}/{v}') for g, v, *_ in RESOURCES)
    return {'paths': {gv: {'serverRelativeURL': f'/openapi/v3/{gv}?hash=hap-standin'} for gv in gvs}}


def openapi_v3(gv_path):
    """Just enough OpenAPI v3 for kubectl to see that the server validates fields (fieldValidation on PATCH)."""
    paths = {}
    for g, v, plural, kind, namespaced, _ in RESOURCES:
        if ('api/v1' if not g else f'apis/{g}/{v}') != gv_path:
            continue
        base = f'/{gv_path}/' + ('namespaces/{namespace}/' if namespaced else '') + plural + '/{name}'
        paths[base] = {'patch': {'x-kubernetes-group-version-kind': {'group': g, 'version': v, 'kind': kind},
                                 'parameters': [{'name': 'fieldValidation', 'in': 'query', 'schema': {'type': 'string', 'uniqueItems': True}}],
                                 'responses': {'200': {'description': 'OK'}}}}
    if not paths:
        return None
    return {'openapi': '3.0.0', 'info': {'title': 'Kubernetes (hap stand-in)', 'version': 'unversioned'}, 'paths': paths}
