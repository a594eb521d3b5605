import { describe, expect, it } from 'vitest';
import { HapError } from '../../../engine/source/errors.ts';
import { parseYaml, posOf } from '../../../engine/source/yaml.ts';
import { checkTemplate, renderString } from '../../../engine/vars/template.ts';

const vars = {
  name: 'etcd',
  port: 2379,
  on: true,
  off: false,
  zero: 0,
  empty: '',
  none: null,
  emptyList: [],
  emptyMap: {},
  html: `<&>"'`,
  list: ['a', 'b', 'c'],
  cfg: { data_dir: '/var/lib/etcd', peers: { count: 3 } },
  members: [
    { name: 'n1', ip: '10.0.0.1' },
    { name: 'n2', ip: '10.0.0.2' },
  ],
  text: 'line1\nline2',
  groups: { etcd: ['n1', 'n2'], all: ['n1', 'n2', 'lb'] },
  hostvars: {
    n1: { ansible_host: '10.0.0.1', facts: { cpus: 2 } },
    n2: { ansible_host: '10.0.0.2', facts: { cpus: 4 } },
    lb: { ansible_host: '10.0.0.9', facts: { cpus: 1 } },
  },
  version: '3.5.12',
};

const file = { name: 'roles/etcd/templates/etcd.env.hbs' };

describe.each([
  ['plain text', 'plain text'],
  ['{{name}}:{{port}}', 'etcd:2379'],
  ['{{ cfg.data_dir }}', '/var/lib/etcd'],
  ['{{cfg.peers.count}}', '3'],
  ['{{html}}', `<&>"'`],
  ['<&>"\' {{html}}', `<&>"' <&>"'`],
  ['{{#if on}}yes{{else}}no{{/if}}', 'yes'],
  ['{{#if missing}}yes{{else}}no{{/if}}', 'no'],
  ['{{#if cfg.nope.deeper}}yes{{else}}no{{/if}}', 'no'],
  ['{{#if zero}}yes{{else}}no{{/if}}', 'no'],
  ['{{#if emptyMap}}yes{{else}}no{{/if}}', 'no'],
  ['{{#if emptyList}}yes{{else}}no{{/if}}', 'no'],
  ['{{#unless missing}}absent{{/unless}}', 'absent'],
  ['{{#unless on}}x{{else}}y{{/unless}}', 'y'],
  ['{{#each list}}{{@index}}={{this}}{{#unless @last}},{{/unless}}{{/each}}', '0=a,1=b,2=c'],
  ['{{#each list}}{{#if @first}}first:{{/if}}{{this}}{{/each}}', 'first:abc'],
  ['{{#each members}}{{name}}={{ip}};{{/each}}', 'n1=10.0.0.1;n2=10.0.0.2;'],
  ['{{#each members}}{{../name}}-{{name}} {{/each}}', 'etcd-n1 etcd-n2 '],
  ['{{#each members}}{{@root.port}} {{/each}}', '2379 2379 '],
  ['{{port}}{{port}}', '23792379'],
  ['{{{name}}}', 'etcd'],
  ['{{none}}|{{on}}|{{off}}|{{zero}}', '|true|false|0'],
  ['{{#each cfg}}{{@key}} {{/each}}', 'data_dir peers '],
  ['{{#with cfg.peers}}{{count}}{{/with}}', '3'],
  ['{{lookup cfg "data_dir"}}', '/var/lib/etcd'],
  // helpers
  ['{{join list ","}}', 'a,b,c'],
  ['{{join list}}', 'a,b,c'],
  ['{{default missing "fb"}}', 'fb'],
  ['{{default cfg.nope.x "fb"}}', 'fb'],
  ['{{default none "fb"}}', 'fb'],
  ['{{default empty "fb"}}', 'fb'],
  ['{{default zero "fb"}}', '0'],
  ['{{default name "fb"}}', 'etcd'],
  ['{{#if (defined missing)}}d{{else}}u{{/if}}', 'u'],
  ['{{#if (defined name)}}d{{else}}u{{/if}}', 'd'],
  ['{{to_yaml cfg.peers}}', 'count: 3\n'],
  ['{{to_json cfg.peers}}', '{"count": 3}'],
  ['{{to_json list}}', '["a", "b", "c"]'],
  ['{{to_nice_json cfg.peers}}', '{\n    "count": 3\n}'],
  ['{{to_nice_json cfg.peers 2}}', '{\n  "count": 3\n}'],
  ['{{b64encode name}}', 'ZXRjZA=='],
  ['{{b64decode "ZXRjZA=="}}', 'etcd'],
  ['x:\n{{indent text 2}}', 'x:\nline1\n  line2'],
  ['{{indent text 2 first=true}}', '  line1\n  line2'],
  ['{{indent text 2 true}}', '  line1\n  line2'],
  ['{{#if (eq name "etcd")}}y{{/if}}', 'y'],
  ['{{#if (ne name "etcd")}}y{{else}}n{{/if}}', 'n'],
  ['{{#if (lt port 3000)}}y{{/if}}', 'y'],
  ['{{#if (gt port 3000)}}y{{else}}n{{/if}}', 'n'],
  ['{{#if (le port 2379)}}y{{/if}}', 'y'],
  ['{{#if (ge port 2380)}}y{{else}}n{{/if}}', 'n'],
  ['{{#if (and on name)}}y{{else}}n{{/if}}', 'y'],
  ['{{#if (and on off)}}y{{else}}n{{/if}}', 'n'],
  ['{{#if (or off zero on)}}y{{else}}n{{/if}}', 'y'],
  ['{{#if (not off)}}y{{else}}n{{/if}}', 'y'],
  ['{{join (keys cfg) " "}}', 'data_dir peers'],
  ['{{join (values cfg.peers) " "}}', '3'],
  ['{{join (map_attr members "ip") ","}}', '10.0.0.1,10.0.0.2'],
  ['{{hostvar hostvars "n2" "ansible_host"}}', '10.0.0.2'],
  ['{{hostvar hostvars "n2" "facts.cpus"}}', '4'],
  ['{{join (map_hosts "etcd" hostvars "ansible_host") ","}}', '10.0.0.1,10.0.0.2'],
  ['{{join (map_hosts groups.all hostvars "facts.cpus") "+"}}', '2+4+1'],
  ['{{#each (map_hosts "etcd" hostvars "ansible_host")}}{{this}}:2380 {{/each}}', '10.0.0.1:2380 10.0.0.2:2380 '],
  ['{{concat name "-" port}}', 'etcd-2379'],
  ['{{join (concat list (split "d e" " ")) ""}}', 'abcde'],
  ['{{join (split "a:b" ":") "/"}}', 'a/b'],
  ['{{upper name}}', 'ETCD'],
  ['{{lower "ETCD"}}', 'etcd'],
  ['{{trim "  x  "}}', 'x'],
  ['{{replace cfg.data_dir "/" "_"}}', '_var_lib_etcd'],
  ['{{quote "it\'s here"}}', `'it'\\''s here'`],
  ['{{quote cfg.data_dir}}', '/var/lib/etcd'],
  ['{{length list}}', '3'],
  ['{{length cfg}}', '2'],
  ['{{length name}}', '4'],
  ['{{first list}}{{last list}}', 'ac'],
  ['{{join (range 3) ","}}', '0,1,2'],
  ['{{join (range 1 4) ","}}', '1,2,3'],
  ['{{#each (range 2)}}[{{this}}]{{/each}}', '[0][1]'],
  ['{{#if (version version ">=" "3.5")}}new{{else}}old{{/if}}', 'new'],
])('template %j', (text, expected) => {
  it('renders', () => expect(renderString(text, vars, file)).toBe(expected));
});

function failure(fn: () => unknown): HapError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HapError);
    return e as HapError;
  }
  throw new Error('expected a HapError');
}

describe.each([
  // [template, message, line, col]
  ['ETCD_NAME={{name}}\nETCD_DATA_DIR={{cfg.data_dir}}\nETCD_VERSION={{etcd_version}}\n', "undefined variable 'etcd_version' in roles/etcd/templates/etcd.env.hbs line 3", 3, 16],
  ['{{cfg.nope}}', "undefined variable 'cfg.nope'", 1, 3],
  ['\n  {{missing.a.b}}', "undefined variable 'missing.a.b'", 2, 5],
  ['{{#each members}}\n{{nmae}}\n{{/each}}', "undefined variable 'nmae'", 2, 3],
  ['{{#each list}}{{nmae}}{{/each}}', "undefined variable 'nmae'", 1, 17],
  ['{{#each missing}}x{{/each}}', "undefined variable 'missing'", 1, 9],
  ['{{#with missing}}x{{/with}}', "undefined variable 'missing'", 1, 9],
  ['a\n{{join missing ","}}', "undefined variable 'missing'", 2, 8],
  ['{{#if (eq missing 1)}}x{{/if}}', "undefined variable 'missing'", 1, 11],
  ['{{upper (lookup cfg "nope")}}', '(lookup cfg nope) gave an undefined value', 1, 9],
  ['{{nosuch 1}}', "unknown helper 'nosuch'", 1, 3],
  ['{{hostvar hostvars "x9" "ansible_host"}}', "helper 'hostvar': unknown host 'x9'", 1, 1],
  ['{{hostvar hostvars "n1" "nope"}}', "helper 'hostvar': undefined variable", 1, 1],
  ['{{map_hosts "nogroup" hostvars "ansible_host"}}', "unknown group 'nogroup'", 1, 1],
  ['line\n{{b64decode port}}', "helper 'b64decode': the 'b64decode' filter expects a string", 2, 1],
  ['{{name}', "template syntax error: unexpected '}'", 1, 7],
  ['ok\n{{#if on}}\nx\n{{/each}}', "template syntax error: if doesn't match each", 2, undefined],
  ['{{#if on}}never closed', 'template syntax error', 1, undefined],
  ['peers:\n{{list}}', 'this prints a list; use join, to_json or to_yaml', 2, 1],
  ['{{cfg}}', 'this prints a mapping', 1, 1],
  ['{{#each members}}{{port}}{{/each}}', "undefined variable 'port'", 1, 20],
])('template error %j', (text, message, line, col) => {
  it('is a HapError naming the variable and line', () => {
    const e = failure(() => renderString(text, vars, file));
    expect(e.message).toContain(message);
    expect(e.message).toContain(file.name);
    expect(e.pos?.file).toBe(file.name);
    expect(e.pos?.line).toBe(line);
    if (col !== undefined) expect(e.pos?.col).toBe(col);
  });
});

describe('templates inside YAML values', () => {
  const doc = parseYaml('vars:\n  url: "https://{{ missing_host }}:2379"\n  block: |\n    a\n    {{ nope }}\n', 'group_vars/all.yml') as {
    vars: Record<string, unknown>;
  };

  it('maps a one-line template error to the YAML position', () => {
    const pos = posOf(doc.vars, 'url');
    const e = failure(() => renderString(String(doc.vars.url), vars, { name: "variable 'url'", pos }));
    expect(e.message).toBe("undefined variable 'missing_host' in variable 'url'");
    expect(e.pos).toEqual({ file: 'group_vars/all.yml', line: 2, col: (pos?.col ?? 0) + 11 });
  });

  it('adds the template line for multi-line values', () => {
    const pos = posOf(doc.vars, 'block');
    const e = failure(() => renderString(String(doc.vars.block), vars, { name: "variable 'block'", pos }));
    expect(e.message).toBe("undefined variable 'nope' in variable 'block' line 2");
    expect(e.pos?.line).toBe((pos?.line ?? 0) + 1);
  });
});

describe('filters as helpers', () => {
  it.each([
    ['{{regex_replace version "\\." "-"}}', '3-5-12'],
    ['{{to_json (unique (concat list list))}}', '["a", "b", "c"]'],
    ['{{#each (sort list reverse=true)}}{{this}}{{/each}}', 'cba'],
  ])('%s', (text, expected) => expect(renderString(text, vars, file)).toBe(expected));
});

describe('checkTemplate', () => {
  it('accepts valid templates without variables', () => {
    expect(() => checkTemplate('{{#each nothing}}{{join x ","}}{{/each}}', file)).not.toThrow();
  });

  it.each([
    ['{{x}', 'template syntax error'],
    ['{{#if x}}', 'template syntax error'],
    ['{{frobnicate x}}', "unknown helper 'frobnicate'"],
    ['{{join (frobnicate x) ","}}', "unknown helper 'frobnicate'"],
  ])('rejects %j', (text, message) => {
    expect(() => checkTemplate(text, file)).toThrow(message);
  });
});

describe('a realistic config file', () => {
  it('renders the etcd example of EXPRESSIONS.md', () => {
    const text = [
      'ETCD_NAME={{inventory_hostname}}',
      'ETCD_INITIAL_CLUSTER={{#each groups.etcd}}{{this}}=https://{{hostvar @root.hostvars this "ansible_host"}}:2380{{#unless @last}},{{/unless}}{{/each}}',
      'ETCD_ENDPOINTS={{join (map_hosts "etcd" hostvars "ansible_host") ","}}',
      '{{#if (version etcd_version ">=" "3.5")}}ETCD_EXPERIMENTAL_X=1{{/if}}',
    ].join('\n');
    const out = renderString(text, { ...vars, inventory_hostname: 'n1', etcd_version: '3.5.12' }, file);
    expect(out.split('\n')).toEqual([
      'ETCD_NAME=n1',
      'ETCD_INITIAL_CLUSTER=n1=https://10.0.0.1:2380,n2=https://10.0.0.2:2380',
      'ETCD_ENDPOINTS=10.0.0.1,10.0.0.2',
      'ETCD_EXPERIMENTAL_X=1',
    ]);
  });
});

describe('template cache', () => {
  it('renders the same text against different variables', () => {
    expect(renderString('{{v}}', { v: 1 }, file)).toBe('1');
    expect(renderString('{{v}}', { v: 2 }, file)).toBe('2');
    expect(() => renderString('{{v}}', {}, file)).toThrow("undefined variable 'v'");
  });
});
