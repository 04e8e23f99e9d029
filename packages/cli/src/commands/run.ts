import type { CliContext } from '../cli-context.ts';
import { cliError } from '../cli-error.ts';
import { defineCommand } from '../command.ts';
import { type ProjectScripts, runScript, type ScriptRun, scriptFailed, shellQuote } from '../lifecycle-scripts.ts';
import { getProjectManifest } from '../project-manifest.ts';

/** The terminal when ds writes to it (a script may be interactive); else ds's own streams (stderr under --json). */
function outputFor(ctx: CliContext): ScriptRun['output'] {
  if (!ctx.json && ctx.io.stdout === process.stdout && ctx.io.stderr === process.stderr) return 'inherit';
  return { stdout: ctx.json ? ctx.io.stderr : ctx.io.stdout, stderr: ctx.io.stderr };
}

/** A script's failure, carrying its exit status for ds's own. */
function failed(what: string, event: string, script: string, outcome: { code: number; signal: NodeJS.Signals | null; output: string }) {
  const error = scriptFailed(what, event, script, outcome);
  (error as Error & { exitCode?: number }).exitCode = outcome.signal ? 1 : outcome.code;
  return error;
}

async function project(ctx: CliContext): Promise<ProjectScripts & { name: string }> {
  const manifest = await getProjectManifest(ctx.io.cwd);
  return { dir: manifest.dir, pkg: manifest.raw, scripts: manifest.scripts, hasBindingGyp: false, name: manifest.name ?? manifest.path };
}

interface RunResult {
  script?: string;
  /** the events that ran: pre<script>, <script>, post<script> */
  ran?: string[];
  /** with no script named: the project's scripts */
  scripts?: Record<string, string>;
}

export const run = defineCommand<RunResult>({
  name: 'run',
  aliases: ['run-script'],
  summary: "Run one of the project's scripts (none named: list them)",
  usage: ['run', 'run <script> [-- <args>…]'],
  details: [
    "Runs pre<script>, <script> and post<script> (those defined) from the manifest's scripts, as npm",
    'does: with sh -c in the project directory, node_modules/.bin (of it and every directory above)',
    'ahead of PATH, npm_package_*, npm_lifecycle_event, npm_lifecycle_script and INIT_CWD set.',
    "Arguments after -- go to <script> only. ds exits with the script's exit status.",
  ].join('\n'),
  async run(ctx) {
    const proj = await project(ctx);
    const [name, ...args] = ctx.args;
    if (name === undefined) return { scripts: proj.scripts };
    const script = proj.scripts[name];
    if (script === undefined) {
      const known = Object.keys(proj.scripts);
      throw cliError(
        'SCRIPT_NOT_FOUND',
        `The project has no script "${name.slice(0, 60)}".`,
        known.length > 0 ? `Scripts: ${known.slice(0, 20).join(', ')}.` : 'It defines no scripts.',
      );
    }
    const ran: string[] = [];
    const scriptCtx = { env: ctx.io.env, initCwd: ctx.io.cwd };
    for (const event of [`pre${name}`, name, `post${name}`]) {
      const command = proj.scripts[event];
      if (command === undefined) continue;
      const outcome = await runScript(scriptCtx, {
        dir: proj.dir,
        pkg: proj.pkg,
        event,
        script: command,
        ...(event === name ? { args } : {}),
        output: outputFor(ctx),
      });
      if (outcome.code !== 0 || outcome.signal) throw failed(proj.name, event, command, outcome);
      ran.push(event);
    }
    return { script: name, ran };
  },
  view(data) {
    if (data.scripts === undefined) return '';
    const entries = Object.entries(data.scripts);
    if (entries.length === 0) return 'The project defines no scripts.';
    return ['Scripts:', ...entries.flatMap(([name, command]) => [`  ${name}`, `    ${command}`])].join('\n');
  },
});

export const exec = defineCommand<{ command: string; code: number }>({
  name: 'exec',
  summary: 'Run a command with node_modules/.bin on PATH (as `npm exec`), in the current directory',
  usage: ['exec <bin> [-- <args>…]', 'exec -- <bin> <args>…'],
  details: [
    'Runs <bin> with sh -c from the current directory, with node_modules/.bin of it and of every',
    'directory above ahead of PATH and the environment scripts get (npm_lifecycle_event is "npx").',
    'It does not install anything: the bin comes from the installed dependencies or PATH.',
    "ds exits with the command's exit status.",
  ].join('\n'),
  async run(ctx) {
    const [bin, ...args] = ctx.args;
    if (bin === undefined || bin === '') throw cliError('USAGE', 'Missing <bin>.', 'Run `ds exec --help`.');
    const manifest = await getProjectManifest(ctx.io.cwd).catch(() => undefined);
    const command = [bin, ...args].map(shellQuote).join(' ');
    const outcome = await runScript(
      { env: ctx.io.env, initCwd: ctx.io.cwd },
      { dir: ctx.io.cwd, pkg: manifest?.raw ?? {}, event: 'npx', script: command, output: outputFor(ctx) },
    );
    if (outcome.code !== 0 || outcome.signal) throw failed(bin, 'exec', command, outcome);
    return { command, code: 0 };
  },
  view: () => '',
});
