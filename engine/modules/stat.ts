import { fileFact, formatMode, type ChecksumAlgorithm } from '../facts/file.ts';
import { gather } from '../facts/gather.ts';
import type { ModuleDef } from './types.ts';

export interface StatArgs {
  path: string;
  checksum_algorithm?: ChecksumAlgorithm;
  get_checksum?: boolean;
}

/** Reports a path's metadata under `stat`, as Ansible's stat does (links are not followed). */
export const stat: ModuleDef<StatArgs> = {
  name: 'stat',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string', minLength: 1 },
      checksum_algorithm: { enum: ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] },
      get_checksum: { type: 'boolean' },
    },
  },
  async plan(args, ctx) {
    const algo = args.get_checksum === false ? false : (args.checksum_algorithm ?? 'sha1');
    const s = await gather(ctx, fileFact(args.path, algo));
    if (!s.exists) return { status: 'ok', result: { stat: { exists: false } } };
    return {
      status: 'ok',
      result: {
        stat: {
          exists: true,
          path: args.path,
          isdir: s.type === 'directory',
          isreg: s.type === 'file',
          islnk: s.type === 'link',
          mode: formatMode(s.mode),
          uid: s.uid,
          gid: s.gid,
          pw_name: s.owner,
          gr_name: s.group,
          size: s.size,
          mtime: s.mtime,
          ...(s.target !== undefined ? { lnk_target: s.target } : {}),
          ...(s.checksum !== undefined ? { checksum: s.checksum } : {}),
        },
      },
    };
  },
};
