import { HapError, HapErrors } from '../source/errors.ts';
import { BadOptions, parseRunArgs } from './args.ts';
import { EXIT } from './exit-codes.ts';
import { setYamlDecrypt } from '../source/yaml-vault.ts';
import type { Io } from './run.ts';
import { vaultMain, VAULT_HELP } from './vault.ts';
import { withVault } from './vault-options.ts';
import { Interrupts } from '../ops/interrupt.ts';
import { OPS_HELP } from './ops-help.ts';

const HELP = `hap — agentless playbooks for highly-available Kubernetes control planes

  hap run PLAYBOOK -i INVENTORY [--limit P] [--tags T] [--skip-tags T] [--check] [--diff]
          [-e k=v | -e @file.yml] [--forks N] [-v|-vv] [--list-hosts] [--list-tasks]
          [--syntax-check] [--output pretty|json] [--vault-password-file F] [--vault-id [L@]F]
          [--resume] [--lock] [--runs-dir DIR]
  hap validate PLAYBOOK -i INVENTORY
  hap inventory -i INVENTORY --list | --graph | --host HOST
  hap vars -i INVENTORY --host HOST [--explain NAME] [PLAYBOOK]
  ${VAULT_HELP.split('\n').join('\n  ')}
  ${OPS_HELP.split('\n').join('\n  ')}
  hap lab up|down|status|kill|stop|start|partition|heal|freeze|thaw|exec|debs ...
  hap molecule test|converge|verify|destroy|login SCENARIO|--all
`;

/** Turns errors into messages and exit codes; the only place that does. */
export async function main(argv: string[], io: Io = { out: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  const cmd = argv[0];
  const interrupts = new Interrupts((m) => io.err(m));
  const ac = interrupts.abort;
  // only a playbook run stops gracefully; other commands keep the default (Ctrl-C ends them)
  const uninstall = cmd === 'run' ? interrupts.install() : () => {};
  try {
    if (cmd === 'lab') return await (await import('../lab/cli.ts')).labMain(argv.slice(1));
    if (cmd === 'vault') return await vaultMain(argv.slice(1), io);
    if (cmd === 'molecule') return await (await import('../molecule/cli.ts')).moleculeMain(argv.slice(1), io);
    if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      io.out(HELP);
      return cmd ? EXIT.ok : EXIT.badOptions;
    }
    const a = parseRunArgs(argv);
    // vault values met while loading are decrypted here and hidden from everything printed
    const { io: safeIo, keyring } = await withVault(a, io);
    io = safeIo;
    // commands load on use: `hap --help` starts without the engine
    switch (cmd) {
      case 'run':
        return await (await import('./run.ts')).runCommand(a, io, interrupts, keyring);
      case 'validate':
        return await (await import('./inspect.ts')).validateCommand(a, io);
      case 'inventory':
        return await (await import('./inspect.ts')).inventoryCommand(a, io);
      case 'vars':
        return await (await import('./inspect.ts')).varsCommand(a, io);
      case 'runs':
      case 'lock':
      case 'unlock':
      case 'report':
        return await (await import('./ops.ts')).opsCommand(cmd, a, io);
      default:
        io.err(`unknown command '${cmd}'\n${HELP}`);
        return EXIT.badOptions;
    }
  } catch (e) {
    if (ac.signal.aborted) {
      io.err('interrupted');
      return EXIT.interrupted;
    }
    if (e instanceof HapErrors) {
      for (const x of e.errors) io.err(`ERROR: ${x.toString()}`);
      io.err(`${e.errors.length} error${e.errors.length === 1 ? '' : 's'}; nothing was run`);
      return EXIT.error;
    }
    if (e instanceof HapError) {
      io.err(`ERROR: ${e.toString()}`);
      return e instanceof BadOptions ? EXIT.badOptions : EXIT.error;
    }
    io.err(`unexpected error: ${(e as Error).stack ?? String(e)}`);
    return EXIT.unexpected;
  } finally {
    setYamlDecrypt(undefined);
    uninstall();
  }
}
