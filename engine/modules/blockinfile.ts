import { editArgSchemas, planEdit, regexpOf, type Edit, type EditArgs } from './edit-file.ts';
import { pathRequired } from './file.ts';
import type { ModuleDef } from './types.ts';

export interface BlockinfileArgs extends EditArgs {
  block?: string;
  marker?: string;
  marker_begin?: string;
  marker_end?: string;
}

/** Ansible's blockinfile, on text: the block between markers is replaced, inserted or removed. */
export function editBlock(text: string, a: BlockinfileArgs): Edit {
  const marker = a.marker ?? '# {mark} ANSIBLE MANAGED BLOCK';
  const begin = marker.replaceAll('{mark}', a.marker_begin ?? 'BEGIN');
  const end = marker.replaceAll('{mark}', a.marker_end ?? 'END');
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const block = a.block ?? '';
  // an empty block removes the markers too, as in Ansible
  const wanted = a.state !== 'absent' && block !== '' ? [begin, ...block.replace(/\n$/, '').split('\n'), end] : [];

  let b = lines.lastIndexOf(begin);
  let e = lines.lastIndexOf(end);
  let at: number;
  if ((b === -1 || e === -1) && !wanted.length) return { text, msg: '' };
  if (b === -1 || e === -1) {
    const after = a.insertafter !== undefined && a.insertafter !== 'EOF' ? a.insertafter : undefined;
    const before = a.insertbefore !== undefined && a.insertbefore !== 'BOF' ? a.insertbefore : undefined;
    if (after ?? before) {
      const re = regexpOf(after ? 'insertafter' : 'insertbefore', (after ?? before) as string);
      let hit = -1;
      lines.forEach((l, i) => {
        if (re.test(l)) hit = i;
      });
      at = hit === -1 ? lines.length : after ? hit + 1 : hit;
    } else {
      at = a.insertbefore === 'BOF' ? 0 : lines.length;
    }
  } else {
    if (b > e) [b, e] = [e, b];
    lines.splice(b, e - b + 1);
    at = b;
  }
  lines.splice(at, 0, ...wanted);
  const out = lines.length ? `${lines.join('\n')}\n` : '';
  if (out === text) return { text, msg: '' };
  return { text: out, msg: wanted.length ? (b === -1 || e === -1 ? 'Block inserted' : 'Block replaced') : 'Block removed' };
}

export const blockinfile: ModuleDef<BlockinfileArgs> = {
  name: 'blockinfile',
  schema: {
    type: 'object',
    additionalProperties: false,
    ...pathRequired,
    properties: {
      ...editArgSchemas,
      block: { type: 'string' },
      marker: { type: 'string', pattern: '\\{mark\\}' },
      marker_begin: { type: 'string', minLength: 1 },
      marker_end: { type: 'string', minLength: 1 },
    },
  },
  plan: (args, ctx) => planEdit(ctx, args, (text) => editBlock(text, args)),
};
