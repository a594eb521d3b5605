"""The YAML subset kubeadm configs and static Pod manifests use, parsed with the stdlib only.

Lab hosts have no PyYAML. Types resolve like go-yaml v2 (YAML 1.1, what sigs.k8s.io/yaml uses):
yes/no/on/off are booleans, so `value: on` is a type error in kubeadm and here. Duplicate keys
are recorded (kubeadm's strict pass warns about them).
"""
import json
import re


class YamlError(Exception):
    pass


_BOOL = {'true': True, 'yes': True, 'on': True, 'y': True, 'false': False, 'no': False, 'off': False, 'n': False}
_INT = re.compile(r'^[-+]?(0|[1-9][0-9_]*)$')
_HEX = re.compile(r'^0x[0-9a-fA-F_]+$')
_FLOAT = re.compile(r'^[-+]?([0-9][0-9_]*)?\.[0-9]+([eE][-+][0-9]+)?$')


def scalar(text):
    t = text.strip()
    if t in ('', '~', 'null', 'Null', 'NULL'):
        return None
    low = t.lower()
    if low in _BOOL and (t == low or t == t.capitalize() or t == t.upper()):
        return _BOOL[low]
    if _INT.match(t):
        return int(t.replace('_', ''))
    if _HEX.match(t):
        return int(t[2:].replace('_', ''), 16)
    if _FLOAT.match(t):
        return float(t.replace('_', ''))
    return t


def strip_comment(line):
    """Removes a trailing `# comment` that is outside quotes."""
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in '"\'' and (i == 0 or line[i - 1] in ' :[{,-'):
            quote = c
        elif c == '#' and (i == 0 or line[i - 1] in ' \t'):
            return line[:i].rstrip()
    return line.rstrip()


def quoted(t):
    if t.startswith('"'):
        try:
            return json.loads(t)
        except ValueError as e:
            raise YamlError(f'bad double-quoted string {t}: {e}')
    if t.startswith("'") and t.endswith("'") and len(t) >= 2:
        return t[1:-1].replace("''", "'")
    raise YamlError(f'unterminated string {t}')


class Flow:
    """`[a, b]` and `{k: v}` on one line."""

    def __init__(self, text):
        self.s, self.i = text, 0

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] in ' \t':
            self.i += 1

    def value(self):
        self.ws()
        c = self.s[self.i:self.i + 1]
        if c == '[':
            self.i += 1
            out = []
            while True:
                self.ws()
                if self.s[self.i:self.i + 1] == ']':
                    self.i += 1
                    return out
                out.append(self.value())
                self.ws()
                if self.s[self.i:self.i + 1] == ',':
                    self.i += 1
        if c == '{':
            self.i += 1
            out = {}
            while True:
                self.ws()
                if self.s[self.i:self.i + 1] == '}':
                    self.i += 1
                    return out
                k = self.value()
                self.ws()
                if self.s[self.i:self.i + 1] != ':':
                    raise YamlError(f'expected ":" in flow mapping {self.s}')
                self.i += 1
                out[k] = self.value()
                self.ws()
                if self.s[self.i:self.i + 1] == ',':
                    self.i += 1
        if c in '"\'':
            j = self.i + 1
            while j < len(self.s):
                if self.s[j] == '\\' and c == '"':
                    j += 2
                    continue
                if self.s[j] == c:
                    if c == "'" and self.s[j + 1:j + 2] == "'":
                        j += 2
                        continue
                    break
                j += 1
            t = self.s[self.i:j + 1]
            self.i = j + 1
            return quoted(t)
        j = self.i
        while j < len(self.s) and self.s[j] not in ',]}' and not (self.s[j] == ':' and self.s[j + 1:j + 2] in (' ', '')):
            j += 1
        t = self.s[self.i:j]
        self.i = j
        if not t.strip():
            raise YamlError(f'empty value in flow collection {self.s}')
        return scalar(t)


def inline(text):
    t = text.strip()
    if t.startswith(('[', '{')):
        f = Flow(t)
        v = f.value()
        if t[f.i:].strip():
            raise YamlError(f'trailing text after flow collection: {t}')
        return v
    if t.startswith(('"', "'")):
        return quoted(t)
    if t.startswith(('&', '*', '!')):
        raise YamlError(f'anchors, aliases and tags are not supported by the stand-in: {t}')
    return scalar(t)


_KEY = re.compile(r'''^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^"'\s#][^:#]*?)\s*:(\s+|$)(.*)$''')


class Parser:
    def __init__(self, lines, duplicates):
        # (indent, text, raw line, 1-based number)
        self.lines = lines
        self.pos = 0
        self.duplicates = duplicates

    def peek(self):
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def block(self, indent, path):
        first = self.peek()
        if first is None or first[0] < indent:
            return None
        if first[1] == '-' or first[1].startswith('- '):
            return self.sequence(first[0], path)
        return self.mapping(first[0], path)

    def value_after(self, rest, indent, path, seq_parent_indent=None):
        if rest in ('|', '|-', '|+', '>', '>-', '>+'):
            return self.block_scalar(rest, indent)
        if rest:
            return inline(rest)
        nxt = self.peek()
        if nxt is None:
            return None
        if nxt[0] > indent:
            return self.block(nxt[0], path)
        # a sequence may sit at the same indent as its key
        if nxt[0] == indent and (nxt[1] == '-' or nxt[1].startswith('- ')) and seq_parent_indent is None:
            return self.sequence(indent, path)
        return None

    def block_scalar(self, style, indent):
        out = []
        block_indent = None
        while self.pos < len(self.lines):
            ind, _, raw, _ = self.lines[self.pos]
            if raw.strip() and ind <= indent:
                break
            if block_indent is None and raw.strip():
                block_indent = ind
            out.append(raw[block_indent or 0:] if raw.strip() else '')
            self.pos += 1
        text = '\n'.join(out) if style[0] == '|' else ' '.join(out)
        return text if style.endswith('-') else text + '\n'

    def mapping(self, indent, path):
        out = {}
        while True:
            line = self.peek()
            if line is None or line[0] < indent:
                return out
            if line[0] > indent:
                raise YamlError(f'line {line[3]}: bad indentation')
            m = _KEY.match(line[1])
            if not m:
                if line[1].startswith('-'):
                    return out
                raise YamlError(f'line {line[3]}: expected "key: value", got {line[1]!r}')
            k = m.group(1)
            key = quoted(k) if k[0] in '"\'' else k
            self.pos += 1
            if key in out:
                self.duplicates.append('.'.join(path + [str(key)]))
            out[key] = self.value_after(m.group(3).strip(), indent, path + [str(key)])

    def sequence(self, indent, path):
        out = []
        while True:
            line = self.peek()
            if line is None or line[0] != indent or not (line[1] == '-' or line[1].startswith('- ')):
                return out
            rest = line[1][1:].lstrip()
            if not rest:
                self.pos += 1
                out.append(self.value_after('', indent, path, seq_parent_indent=indent))
                continue
            inner = indent + (len(line[1]) - len(rest))
            if _KEY.match(rest) and not rest.startswith(('"', "'", '[', '{')) or rest.startswith('- '):
                # "- key: v" opens a mapping whose keys sit at the column after "- "
                self.lines[self.pos] = (inner, rest, line[2], line[3])
                out.append(self.block(inner, path))
            else:
                self.pos += 1
                if rest in ('|', '|-', '>', '>-'):
                    out.append(self.block_scalar(rest, indent))
                else:
                    out.append(inline(rest))


def load_all(text):
    """Returns [(document, duplicate key paths)], skipping empty documents."""
    docs, cur = [], []
    for raw in text.split('\n'):
        if raw.rstrip() in ('---', '...') or raw.startswith('--- '):
            docs.append(cur)
            cur = []
            continue
        cur.append(raw)
    docs.append(cur)
    out = []
    for doc in docs:
        lines = []
        for n, raw in enumerate(doc, 1):
            if '\t' in raw[:len(raw) - len(raw.lstrip())]:
                raise YamlError(f'line {n}: found a tab character used as indentation')
            body = strip_comment(raw)
            if body.strip():  # blank lines dropped (block scalars lose inner blank lines)
                lines.append((len(body) - len(body.lstrip()), body.strip(), raw.rstrip(), n))
        if not lines:
            continue
        dups = []
        p = Parser(lines, dups)
        value = p.block(lines[0][0], [])
        if p.pos < len(p.lines):
            left = p.lines[p.pos]
            raise YamlError(f'line {left[3]}: unexpected content {left[1]!r}')
        out.append((value, dups))
    return out


def dump(value, indent=0):
    """Block YAML for files the stand-in writes (kubeconfigs, manifests, kubelet config)."""
    pad = ' ' * indent
    if isinstance(value, dict):
        if not value:
            return pad + '{}\n'
        out = []
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                out.append(f'{pad}{k}:\n{dump(v, indent + 2 if isinstance(v, dict) else indent)}')
            else:
                out.append(f'{pad}{k}: {_scalar_text(v)}\n')
        return ''.join(out)
    if isinstance(value, list):
        out = []
        for v in value:
            if isinstance(v, dict) and v:
                body = dump(v, indent + 2)
                out.append(f'{pad}- {body[indent + 2:]}')
            else:
                out.append(f'{pad}- {_scalar_text(v)}\n')
        return ''.join(out)
    return pad + _scalar_text(value) + '\n'


def _scalar_text(v):
    if v is None:
        return 'null'
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, (dict, list)):
        return '{}' if isinstance(v, dict) else '[]'
    s = str(v)
    if s == '' or scalar(s) != s or s[0] in '!&*[]{}#|>@`"\'%,?:-' or ': ' in s or ' #' in s or s != s.strip():
        return json.dumps(s)
    return s
