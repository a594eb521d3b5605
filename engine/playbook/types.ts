import type { SourcePos } from '../source/errors.ts';

/** A file and the role it belongs to, for template/file search and role_path. */
export interface Origin {
  file: string;
  role?: RoleInfo;
}

export interface RoleInfo {
  name: string;
  path: string;
  defaults: Record<string, unknown>;
  defaultsPos: Record<string, SourcePos>;
  vars: Record<string, unknown>;
  varsPos: Record<string, SourcePos>;
  /**
   * JSON schemas built from meta/argument_specs, by entry point (`main`, or a tasks_from
   * name), checked before the role's first task; an entry point without a spec is not checked.
   */
  argSchemas?: Record<string, Record<string, unknown>>;
}

/** Keywords every task, block and include shares. */
export interface TaskBase {
  id: number;
  name: string;
  pos: SourcePos;
  origin: Origin;
  when: string[];
  tags: string[];
  vars: Record<string, unknown>;
  become?: boolean;
  becomeUser?: string;
  delegateTo?: string;
  runOnce: boolean;
  noLog: boolean;
  ignoreErrors: boolean;
  ignoreUnreachable: boolean;
  checkMode?: boolean;
  environment?: Record<string, unknown> | string;
  anyErrorsFatal?: boolean;
  /** Role params of the role whose entry this task runs under (validated on first use). */
  roleEntry?: RoleEntry;
}

/** A role as used by a play: its info and the params it was called with. */
export interface RoleEntry {
  role: RoleInfo;
  params: Record<string, unknown>;
  key: string; // unique per use, for "validate once"
  /** The tasks file it runs (tasks_from), whose argument spec applies. */
  entryPoint?: string;
  /** From `roles:` or a dependency: another such use with the same params is skipped. */
  once?: boolean;
  /** include_role (without `public: true`): its defaults and vars are for its own tasks only, as in Ansible. */
  private?: boolean;
}

export interface ModuleTask extends TaskBase {
  kind: 'module';
  module: string;
  args: unknown;
  loop?: unknown;
  /** with_items: the rendered list is flattened one level. */
  loopFlatten?: boolean;
  loopVar: string;
  loopLabel?: string;
  register?: string;
  notify: Handler[];
  changedWhen?: string[];
  failedWhen?: string[];
  until?: string[];
  /** Numbers, or templates rendered when the task runs. */
  retries: number | string;
  delay: number | string;
}

export interface BlockTask extends TaskBase {
  kind: 'block';
  block: Task[];
  rescue: Task[];
  always: Task[];
}

/**
 * include_tasks / include_role: a literal name is loaded at load time; a templated one
 * (`"{{ os }}.yml"`) is rendered per host when the include runs, then loaded. Conditions apply
 * to the include itself.
 */
export interface IncludeTask extends TaskBase {
  kind: 'include';
  /** include_tasks, or include_role (which Ansible does not count in the recap). */
  of: 'tasks' | 'role';
  tasks: Task[];
  dynamic?: DynamicInclude;
  loop?: unknown;
  loopFlatten?: boolean;
  loopVar: string;
  loopLabel?: string;
}

/** The templated names of an include and how to load what they name once rendered. */
export interface DynamicInclude {
  /** `file` (include_tasks), or `name` and `tasks_from` (include_role): templates or literals. */
  names: Record<string, string>;
  /** Loads the tasks the rendered names point to; throws HapErrors with file:line:col. */
  load: (names: Record<string, string>) => Promise<Task[]>;
}

export interface MetaTask extends TaskBase {
  kind: 'meta';
  action: 'flush_handlers' | 'end_play' | 'end_host' | 'noop' | 'clear_facts' | 'refresh_inventory' | 'end_batch';
}

export type Task = ModuleTask | BlockTask | IncludeTask | MetaTask;

export interface Handler {
  id: number;
  name: string;
  listen: string[];
  task: Task;
}

export interface QuorumSpec {
  /** The inventory group whose members form the quorum (e.g. etcd). */
  group: string;
  /** The probe that measures the cluster: `etcd`. */
  probe: 'etcd';
  pos: SourcePos;
  [key: string]: unknown;
}

/** A play's `vip:` gate: the LB hosts and their VIP; values may be templates (first LB's variables). */
export interface VipSpec {
  group: string;
  address: string;
  prefix?: number | string;
  virtual_router_id?: number | string;
  backend_group?: string;
  backend?: string;
  stats_port?: number | string;
  maintenance_file?: string;
  state_file?: string;
  timeout?: number | string;
  /** false: no maintenance and no VIP hand-over (haproxy-only changes reload in place). */
  handover?: boolean | string;
  pos: SourcePos;
}

export interface Play {
  name: string;
  pos: SourcePos;
  file: string;
  hosts: string;
  vars: Record<string, unknown>;
  varsPos: Record<string, SourcePos>;
  /** vars_files merged, with where each name came from. */
  varsFiles: Record<string, unknown>;
  varsFilesPos: Record<string, SourcePos>;
  preTasks: Task[];
  /** Role tasks followed by the play's tasks (Ansible order). */
  tasks: Task[];
  postTasks: Task[];
  handlers: Handler[];
  serial: Array<number | string>;
  maxFailPercentage?: number;
  anyErrorsFatal: boolean;
  gatherFacts: boolean;
  become?: boolean;
  becomeUser?: string;
  tags: string[];
  connection?: 'local' | 'ssh';
  environment?: Record<string, unknown>;
  quorum?: QuorumSpec;
  vip?: VipSpec;
  /** Roles used by the play (for role defaults in the precedence ladder). */
  roles: RoleEntry[];
}

export interface Playbook {
  file: string;
  dir: string;
  plays: Play[];
}
