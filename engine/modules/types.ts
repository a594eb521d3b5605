import type { FactCache } from '../facts/types.ts';
import type { Become, Transport } from '../transport/types.ts';
import type { Keyring } from '../vault/keyring.ts';

/** A file's content before and after a change, for --diff. */
export interface FileDiff {
  path: string;
  before: string;
  after: string;
}

/** What applying a change produced: result fields to register, or a failure. */
export interface ApplyOutcome {
  failed?: string;
  result?: Record<string, unknown>;
}

/** One change a module would make. The runner decides to apply, print or diff it. */
export interface Change {
  /** One line: what would change ("write /etc/x (mode 0644)", "start etcd"). */
  summary: string;
  diff?: FileDiff;
  /**
   * The outcome cannot be known without running it (command, shell): check mode reports
   * the task as skipped instead of claiming a change.
   */
  opaque?: boolean;
  apply(): Promise<ApplyOutcome | void>;
}

/** A module's answer to "what would you do on this host?". */
export type Plan =
  | { status: 'ok'; msg?: string; result?: Record<string, unknown> }
  | { status: 'change'; changes: Change[]; msg?: string; result?: Record<string, unknown> }
  | { status: 'failed'; msg: string; result?: Record<string, unknown> }
  | { status: 'skipped'; msg: string; result?: Record<string, unknown> };

/** What a module may use while planning. Modules never see check mode. */
export interface ModuleContext {
  /** inventory_hostname */
  host: string;
  transport: Transport;
  facts: FactCache;
  become?: Become;
  /** The task's variables (all layers merged), read-only. */
  vars: Readonly<Record<string, unknown>>;
  /** Evaluates a bare expression (assert's `that`) against `vars`. */
  evaluate(expr: string): unknown;
  /** Renders handlebars text against `vars`; `name` is used in error messages. */
  render(text: string, name: string): string;
  /** Controller path of a role/playbook file: `templates` or `files`, as Ansible searches. */
  findFile(kind: 'files' | 'templates', name: string): Promise<string>;
  signal: AbortSignal;
  /** Vault passwords, for controller files encrypted with ansible-vault. */
  vault?: Keyring;
}

/** One module: its argument schema and its plan function. */
export interface ModuleDef<A = Record<string, unknown>> {
  name: string;
  /** Other names it answers to (`service` for `systemd`, `package` for `apt`). */
  aliases?: string[];
  /** JSON schema of the arguments after templating; validated with ajv before plan(). */
  schema: Record<string, unknown>;
  /**
   * Runs on the controller and never touches the host (set_fact, debug, assert): no connection
   * is opened, so it works on an unreachable host, as Ansible's action plugins do.
   */
  controllerOnly?: boolean;
  /** For free-form modules (`command: ls /`): the argument key the string goes to. */
  freeForm?: string;
  plan(args: A, ctx: ModuleContext): Promise<Plan>;
}
