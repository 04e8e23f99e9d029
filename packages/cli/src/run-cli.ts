import { parseArgs } from 'node:util';
import { isClientError } from '@entropic/client';
import { truncate } from '@entropic/types';
import { CLI_VERSION, type CliIo, createCliContext } from './cli-context.ts';
import { cliError } from './cli-error.ts';
import type { Command, OptionSpec } from './command.ts';
import { commands } from './commands/index.ts';
import { EXIT, exitCodeFor } from './exit-code-for.ts';
import { awaitWebApproval, promptOtp, shouldPromptOtp, webApprovalOf } from './prompt-otp.ts';

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  registry: {
    type: 'string',
    description: 'registry URL (default: ENTROPIC_REGISTRY, then ~/.entropicrc, then https://registry.entropic.dev)',
  },
  json: { type: 'boolean', description: 'print machine-readable JSON on stdout' },
  verbose: { type: 'boolean', description: 'log every request and step on stderr' },
  otp: {
    type: 'string',
    description:
      'a one-time password from your authenticator app, for writes that need a second factor (asked for at a terminal when missing)',
  },
  help: { type: 'boolean', short: 'h', description: 'show help for the command' },
};

function findCommand(argv: string[]): { command: Command | undefined; rest: string[] } {
  const [first, second, ...others] = argv;
  if (first === undefined) return { command: undefined, rest: [] };
  if (second !== undefined) {
    const sub = commands.find((c) => c.name === `${first} ${second}` || c.aliases?.includes(`${first} ${second}`));
    if (sub) return { command: sub, rest: others };
  }
  const command = commands.find((c) => c.name === first || c.aliases?.includes(first));
  return { command, rest: argv.slice(1) };
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ' <value>' : ''}`;
    return `  ${flag.padEnd(28)} ${spec.description}`;
  });
}

export function commandHelp(command: Command): string {
  const lines = [`${command.summary}`, '', 'Usage:', ...command.usage.map((u) => `  ds ${u}`)];
  if (command.aliases?.length) lines.push('', `Aliases: ${command.aliases.join(', ')}`);
  if (command.options && Object.keys(command.options).length > 0) lines.push('', 'Options:', ...optionLines(command.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  if (command.details) lines.push('', command.details);
  return `${lines.join('\n')}\n`;
}

/** The subcommands of a command group (`tag` → `tag add`, `tag rm`, `tag ls`), or none. */
function groupCommands(group: string | undefined): Command[] {
  if (group === undefined) return [];
  return commands.filter((c) => c.name.startsWith(`${group} `));
}

function groupHelp(group: string, members: Command[]): string {
  const width = Math.max(...members.map((c) => c.name.length)) + 2;
  return [
    `ds ${group} — ${members.length} subcommands`,
    '',
    `Usage: ds ${group} <subcommand> [options]`,
    '',
    'Subcommands:',
    ...members.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`),
    '',
    `Run \`ds ${group} <subcommand> --help\` for one of them.`,
    '',
  ].join('\n');
}

function helpFor(argv: string[]): string {
  const { command } = findCommand(argv);
  if (command) return commandHelp(command);
  const members = groupCommands(argv[0]);
  return members.length > 0 ? groupHelp(String(argv[0]), members) : generalHelp();
}

export function generalHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    `ds ${CLI_VERSION} — the Entropic package manager`,
    '',
    'Usage: ds <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Run `ds <command> --help` for a command. Configuration: ~/.entropicrc (TOML).',
    '',
  ].join('\n');
}

/** Runs one `ds` invocation and returns its exit code; never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const wantsJson = argv.includes('--json');
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    io.stdout.write(argv[0] === 'help' ? helpFor(argv.slice(1)) : generalHelp());
    return EXIT.OK;
  }
  if (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version') {
    io.stdout.write(wantsJson ? `${JSON.stringify({ version: CLI_VERSION })}\n` : `${CLI_VERSION}\n`);
    return EXIT.OK;
  }
  let close: (() => Promise<void>) | undefined;
  try {
    const { command, rest } = findCommand(argv);
    if (!command) {
      const members = groupCommands(argv[0]);
      if (members.length > 0) {
        const group = String(argv[0]);
        const asked = rest.length === 0 || rest[0] === '--help' || rest[0] === '-h';
        if (asked && rest.length > 0) {
          io.stdout.write(groupHelp(group, members));
          return EXIT.OK;
        }
        const sub = rest[0] === undefined ? '' : ` "${String(rest[0]).slice(0, 40)}"`;
        throw cliError(
          'USAGE',
          `ds ${group} needs a subcommand${sub ? `; there is no${sub}` : ''}: ${members.map((c) => c.name.slice(group.length + 1)).join(', ')}.`,
          `Run \`ds ${group} --help\`.`,
        );
      }
      const name = String(argv[0]).slice(0, 40);
      throw cliError('UNKNOWN_COMMAND', `Unknown command "${name}".`, 'Run `ds --help` to list the commands.');
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
    } catch (error) {
      throw cliError('USAGE', (error as Error).message.split('\n')[0] ?? 'Invalid arguments.', `Run \`ds ${command.name} --help\`.`);
    }
    if (parsed.values.help) {
      io.stdout.write(commandHelp(command));
      return EXIT.OK;
    }
    const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
    let created = await createCliContext(io, parsed.positionals, values);
    close = created.close;
    let data: unknown;
    // a write the registry refuses for want of a one-time password: ask at a terminal, run again with it
    for (let attempt = 0; ; attempt += 1) {
      try {
        data = await command.run(created.ctx);
        break;
      } catch (error) {
        if (!shouldPromptOtp(error, io, attempt)) throw error;
        created.ctx.progress.done();
        const approval = webApprovalOf(error);
        const otp = approval
          ? await awaitWebApproval(io, approval)
          : await promptOtp(io, (error as { code: string }).code === 'OTP_INVALID' ? 'invalid' : 'required');
        if (otp === undefined) throw error;
        await close().catch(() => {});
        created = await createCliContext(io, parsed.positionals, { ...values, otp });
        close = created.close;
      }
    }
    created.ctx.progress.done();
    if (created.ctx.json) io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else {
      const text = command.view(data, created.ctx);
      if (text) io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
    return command.exitCode?.(data) ?? EXIT.OK;
  } catch (error) {
    const code = exitCodeFor(error);
    reportError(error, io, wantsJson, argv.includes('--verbose'));
    return code;
  } finally {
    await close?.().catch(() => {});
  }
}

function redact(text: string): string {
  return text.replace(/ent_v1_[0-9a-f-]+/gi, 'ent_v1_***');
}

/**
 * The longest message or hint ds prints for an error. Messages quote what the user typed cut
 * short where they are written; this bound at the one exit holds for all of them (and for what
 * a registry sends).
 */
export const MAX_ERROR_TEXT = 400;

function reportError(error: unknown, io: CliIo, json: boolean, verbose: boolean): void {
  const known = isClientError(error);
  const code = known ? error.code : 'UNEXPECTED';
  const message = truncate(
    redact(known ? error.message : `Unexpected error: ${(error as Error)?.message ?? String(error)}`),
    MAX_ERROR_TEXT - 1,
  );
  const rawHint = known ? error.hint : 'This is a bug in ds; please report it with the output of --verbose.';
  const hint = rawHint === undefined ? undefined : truncate(redact(rawHint), MAX_ERROR_TEXT - 1);
  if (json) {
    io.stdout.write(`${JSON.stringify({ error: { code, message, ...(hint ? { hint } : {}) } }, null, 2)}\n`);
  }
  io.stderr.write(`${io.stderr.isTTY ? '\r\x1b[2K' : ''}ds: error ${code}: ${message}\n`);
  if (hint) io.stderr.write(`hint: ${hint}\n`);
  if (verbose && error instanceof Error && error.stack) io.stderr.write(`${redact(error.stack)}\n`);
}
