import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { attrsOf } from './file-attrs.ts';
import { resolveDest, writeArgSchemas, type CopyArgs } from './copy.ts';
import type { ModuleDef, Plan } from './types.ts';
import { planWrite } from './write-file.ts';

/** copy's arguments, with a template file as the source instead of content. */
export type TemplateArgs = Omit<CopyArgs, 'content' | 'remote_src' | 'src'> & { src: string };

/** Renders a controller template with the task's variables, then writes it like copy. */
export const template: ModuleDef<TemplateArgs> = {
  name: 'template',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['src', 'dest'],
    properties: { src: { type: 'string', minLength: 1 }, ...writeArgSchemas },
  },
  async plan(args, ctx): Promise<Plan> {
    try {
      const attrs = attrsOf(args);
      const path = await ctx.findFile('templates', args.src);
      const text = ctx.render(await readFile(path, 'utf8'), path);
      const target = await resolveDest(ctx, args.dest, basename(args.src).replace(/\.(j2|hbs)$/, ''));
      return await planWrite(ctx, {
        ...target,
        content: Buffer.from(text, 'utf8'),
        attrs,
        backup: args.backup,
        validate: args.validate,
        force: args.force,
      });
    } catch (e) {
      return { status: 'failed', msg: e instanceof Error ? e.toString().replace(/^Error: /, '') : String(e) };
    }
  },
};
