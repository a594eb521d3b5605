"""The draft-07 keywords the kubeadm schemas use, validated with the stdlib only.

Each finding is (kind, path, message) with kind one of:
  unknown  - a field additionalProperties:false refuses (kubeadm: strict-decoding warning, dropped)
  type     - a JSON type mismatch (kubeadm: fatal decode error, exit 1)
  invalid  - anything else (kubeadm: validation error, exit 3)
"""
import re

_TYPES = {
    'object': lambda v: isinstance(v, dict),
    'array': lambda v: isinstance(v, list),
    'string': lambda v: isinstance(v, str),
    'boolean': lambda v: isinstance(v, bool),
    'integer': lambda v: isinstance(v, int) and not isinstance(v, bool),
    'number': lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    'null': lambda v: v is None,
}


def json_type(v):
    for name in ('null', 'boolean', 'integer', 'number', 'string', 'array', 'object'):
        if _TYPES[name](v):
            return name
    return type(v).__name__


class Validator:
    def __init__(self, root):
        self.root = root
        self._re = {}

    def resolve(self, ref):
        if not ref.startswith('#/'):
            raise ValueError(f'only local $ref supported: {ref}')
        node = self.root
        for part in ref[2:].split('/'):
            node = node[part.replace('~1', '/').replace('~0', '~')]
        return node

    def ok(self, schema, value):
        return not self.errors(schema, value)

    def errors(self, schema, v, path=''):
        if schema is True or schema == {}:
            return []
        if schema is False:
            return [('invalid', path, 'Forbidden: not allowed')]
        out = []
        if '$ref' in schema:
            out += self.errors(self.resolve(schema['$ref']), v, path)
        if 'type' in schema:
            types = schema['type'] if isinstance(schema['type'], list) else [schema['type']]
            if not any(_TYPES[t](v) for t in types):
                return out + [('type', path, f'cannot unmarshal {json_type(v)} into a field of type {"/".join(types)}')]
        if 'const' in schema and v != schema['const']:
            out.append(('invalid', path, f'Invalid value: {_show(v)}: must be {_show(schema["const"])}'))
        if 'enum' in schema and v not in schema['enum']:
            out.append(('invalid', path, f'Unsupported value: {_show(v)}: supported values: {", ".join(_show(e) for e in schema["enum"])}'))
        if isinstance(v, str):
            if 'pattern' in schema and not self._match(schema['pattern'], v):
                out.append(('invalid', path, f'Invalid value: {_show(v)}: {_why(schema)}'))
            if 'minLength' in schema and len(v) < schema['minLength']:
                out.append(('invalid', path, f'Invalid value: {_show(v)}: must not be empty' if schema['minLength'] == 1 else f'Invalid value: {_show(v)}: too short'))
            if 'maxLength' in schema and len(v) > schema['maxLength']:
                out.append(('invalid', path, f'Invalid value: {_show(v)}: too long'))
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if 'minimum' in schema and v < schema['minimum']:
                out.append(('invalid', path, f'Invalid value: {v}: must be at least {schema["minimum"]}'))
            if 'maximum' in schema and v > schema['maximum']:
                out.append(('invalid', path, f'Invalid value: {v}: must be at most {schema["maximum"]}'))
        if isinstance(v, list):
            if 'items' in schema:
                for i, item in enumerate(v):
                    out += self.errors(schema['items'], item, f'{path}[{i}]')
            if 'minItems' in schema and len(v) < schema['minItems']:
                out.append(('invalid', path, f'Required value: at least {schema["minItems"]} item(s)'))
            if 'maxItems' in schema and len(v) > schema['maxItems']:
                out.append(('invalid', path, f'Too many: {len(v)}: must have at most {schema["maxItems"]} items'))
            if 'contains' in schema and not any(self.ok(schema['contains'], x) for x in v):
                out.append(('invalid', path, f'Invalid value: {_why(schema["contains"])}'))
        if isinstance(v, dict):
            props = schema.get('properties', {})
            for k in schema.get('required', []):
                if k not in v:
                    out.append(('invalid', _join(path, k), 'Required value'))
            for k, item in v.items():
                if k in props:
                    out += self.errors(props[k], item, _join(path, k))
                elif schema.get('additionalProperties') is False:
                    out.append(('unknown', _join(path, k), f'unknown field "{_join(path, k)}"'))
                elif isinstance(schema.get('additionalProperties'), dict):
                    out += self.errors(schema['additionalProperties'], item, _join(path, k))
            if 'propertyNames' in schema:
                for k in v:
                    if not self.ok(schema['propertyNames'], k):
                        out.append(('invalid', _join(path, k), f'Invalid value: {_show(k)}: {_why(schema["propertyNames"])}'))
            for k, dep in schema.get('dependencies', {}).items():
                if k in v:
                    if isinstance(dep, list):
                        for d in dep:
                            if d not in v:
                                out.append(('invalid', _join(path, d), f'Required value: needed together with {k}'))
                    else:
                        out += self.errors(dep, v, path)
        for sub in schema.get('allOf', []):
            out += self.errors(sub, v, path)
        if 'anyOf' in schema:
            branches = [self.errors(s, v, path) for s in schema['anyOf']]
            if all(branches):
                out += _best(branches, path, schema)
        if 'oneOf' in schema:
            branches = [self.errors(s, v, path) for s in schema['oneOf']]
            passing = sum(1 for b in branches if not b)
            if passing == 0:
                out += _best(branches, path, schema)
            elif passing > 1:
                out.append(('invalid', path, f'Invalid value: {_why(schema, "must match exactly one form")}'))
        if 'not' in schema and self.ok(schema['not'], v):
            out.append(('invalid', path, f'Invalid value: {_why(schema["not"], _why(schema, "not allowed"))}'))
        if 'if' in schema and self.ok(schema['if'], v):
            if 'then' in schema:
                out += self.errors(schema['then'], v, path)
        elif 'if' in schema and 'else' in schema:
            out += self.errors(schema['else'], v, path)
        return out

    def _match(self, pattern, s):
        r = self._re.get(pattern)
        if r is None:
            r = self._re[pattern] = re.compile(pattern)
        return r.search(s) is not None


def _best(branches, path, schema):
    # a branch failing only on unknown fields or with the fewest findings explains it best
    best = min(branches, key=lambda b: (any(k != 'unknown' for k, _, _ in b), len(b)))
    if any(k == 'type' for k, _, _ in best) and all(any(k == 'type' for k, _, _ in b) for b in branches):
        return best
    if len(best) <= 2:
        return best
    return [('invalid', path, f'Invalid value: {_why(schema, "does not match any allowed form")}')]


def _why(schema, default='does not match the required format'):
    text = schema.get('description') or schema.get('$comment') or ''
    if not text:
        return default
    return text.split('. ')[0].rstrip('.')


def _join(path, key):
    return f'{path}.{key}' if path else key


def _show(v):
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, bool):
        return 'true' if v else 'false'
    return str(v)
