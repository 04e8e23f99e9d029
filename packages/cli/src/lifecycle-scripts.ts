import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_VERSION } from './cli-context.ts';
import { cliError } from './cli-error.ts';

/** What npm runs when a package is installed, in order (`install` is implied by a binding.gyp). */
export const INSTALL_EVENTS = ['preinstall', 'install', 'postinstall'] as const;

/** What `npm install` (npm 7+) runs for the project itself, after its dependencies are in place. */
export const ROOT_INSTALL_EVENTS = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare'] as const;

/** How many bytes of a captured script's output are kept (its tail is shown on failure). */
const CAPTURE_BYTES = 64 * 1024;

export type PackageJson = Record<string, unknown>;

export function scriptsOf(pkg: PackageJson): Record<string, string> {
  const scripts = pkg.scripts;
  if (!scripts || typeof scripts !== 'object' || Array.isArray(scripts)) return {};
  return Object.fromEntries(Object.entries(scripts).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** `node-gyp rebuild`, or npm's bundled node-gyp next to this Node when none is on PATH (as npm's own). */
function nodeGypCommand(path: string): string {
  for (const dir of path.split(delimiter)) if (dir && existsSync(join(dir, 'node-gyp'))) return 'node-gyp rebuild';
  const bundled = resolve(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  return existsSync(bundled) ? `"${process.execPath}" "${bundled}" rebuild` : 'node-gyp rebuild';
}

/**
 * The install scripts a package runs, as npm decides: its `preinstall`, `install` and
 * `postinstall`, with `install` defaulting to `node-gyp rebuild` when the package has a
 * `binding.gyp` and neither an `install` nor a `preinstall` script.
 */
export function installScripts(
  pkg: PackageJson,
  hasBindingGyp: boolean,
  events: readonly string[] = INSTALL_EVENTS,
): Array<[string, string]> {
  const scripts = { ...scriptsOf(pkg) };
  if (hasBindingGyp && scripts.install === undefined && scripts.preinstall === undefined && pkg.gypfile !== false) {
    scripts.install = 'node-gyp rebuild';
  }
  return events.filter((event) => scripts[event] !== undefined).map((event) => [event, scripts[event] as string]);
}

/** npm's `npm_package_*` variables (@npmcli/run-script): name, version, config, engines, bin. */
function packageEnv(pkg: PackageJson): Record<string, string> {
  const env: Record<string, string> = {};
  const add = (value: unknown, key: string) => {
    if (value === undefined) return;
    if (value === null || value === false) env[key] = '';
    else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) add(item, `${key}_${i}`);
    } else if (typeof value === 'object') for (const [k, v] of Object.entries(value)) add(v, `${key}_${k}`);
    else env[key] = String(value);
  };
  for (const field of ['name', 'version', 'config', 'engines', 'bin']) add(pkg[field], `npm_package_${field}`);
  return env;
}

/** The ds bin, for `npm_execpath` (so `$npm_execpath run x` runs ds again); the same from src/ and dist/. */
const DS_BIN = fileURLToPath(new URL('../bin/ds.js', import.meta.url));

export interface ScriptContext {
  /** the environment ds was started with */
  env: NodeJS.ProcessEnv;
  /** where ds was started (INIT_CWD) */
  initCwd: string;
}

/**
 * The environment of a script, as npm builds it: `node_modules/.bin` of the package's directory
 * and of every directory above it ahead of PATH, `npm_package_*`, `npm_lifecycle_event`,
 * `npm_lifecycle_script`, `npm_package_json`, `INIT_CWD`, `npm_config_user_agent`.
 */
export function scriptEnv(ctx: ScriptContext, dir: string, pkg: PackageJson, event: string, script: string): NodeJS.ProcessEnv {
  const bins: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    bins.push(join(d, 'node_modules', '.bin'));
    if (dirname(d) === d) break;
  }
  const pathKey = Object.keys(ctx.env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(ctx.env)) if (!/^npm_(package|lifecycle|config_node_gyp)/i.test(key)) env[key] = value;
  return {
    ...env,
    ...packageEnv(pkg),
    [pathKey]: [...bins, ctx.env[pathKey] ?? ''].filter(Boolean).join(delimiter),
    npm_package_json: join(dir, 'package.json'),
    npm_lifecycle_event: event,
    npm_lifecycle_script: script,
    npm_config_user_agent: `ds/${CLI_VERSION} node/${process.version} ${process.platform} ${process.arch}`,
    npm_node_execpath: process.execPath,
    npm_execpath: DS_BIN,
    INIT_CWD: ctx.initCwd,
  };
}

/** A shell word for `sh -c` (as npm quotes `npm run x -- args`). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_\-./=:@%+,]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export interface ScriptRun {
  dir: string;
  pkg: PackageJson;
  event: string;
  script: string;
  /** arguments appended to the command, quoted (`ds run x -- args`) */
  args?: string[];
  /** `capture`: output kept (its tail reported on failure); `inherit`: the terminal; streams: piped there */
  output: 'capture' | 'inherit' | { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
}

export interface ScriptOutcome {
  code: number;
  signal: NodeJS.Signals | null;
  /** the captured output's tail (capture mode) */
  output: string;
}

/** Runs one script with `sh -c` (as npm's default script-shell) in the package's directory. */
export function runScript(ctx: ScriptContext, run: ScriptRun): Promise<ScriptOutcome> {
  const command = run.args && run.args.length > 0 ? `${run.script} ${run.args.map(shellQuote).join(' ')}` : run.script;
  const env = scriptEnv(ctx, run.dir, run.pkg, run.event, run.script);
  const shellCommand = command === 'node-gyp rebuild' ? nodeGypCommand(env.PATH ?? '') : command;
  return new Promise((resolvePromise, reject) => {
    const stdio: StdioOptions = run.output === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'];
    const child: ChildProcess = spawn('/bin/sh', ['-c', shellCommand], { cwd: run.dir, env, stdio });
    const chunks: Buffer[] = [];
    let kept = 0;
    const keep = (chunk: Buffer) => {
      chunks.push(chunk);
      kept += chunk.length;
      while (kept > CAPTURE_BYTES && chunks.length > 1) kept -= (chunks.shift() as Buffer).length;
    };
    if (run.output === 'capture') {
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
    } else if (run.output !== 'inherit') {
      const { stdout, stderr } = run.output;
      child.stdout?.on('data', (c: Buffer) => stdout.write(c));
      child.stderr?.on('data', (c: Buffer) => stderr.write(c));
    }
    child.on('error', reject);
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) =>
      resolvePromise({ code: code ?? 1, signal, output: Buffer.concat(chunks).toString('utf8') }),
    );
  });
}

/** The last `lines` lines of a script's output, for an error report. */
export function outputTail(output: string, lines = 30): string {
  const all = output.replace(/\s+$/, '').split('\n');
  return all.slice(-lines).join('\n');
}

/** A script that exited non-zero (or was killed): SCRIPT_FAILED, naming the package, the event and the command. */
export function scriptFailed(what: string, event: string, script: string, outcome: ScriptOutcome): Error {
  const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with ${outcome.code}`;
  const error = cliError(
    'SCRIPT_FAILED',
    `The ${event} script of ${what} ${how}: ${script.slice(0, 200)}`,
    'Its output is above. Fix it, or install with --ignore-scripts to skip every script.',
  );
  return error;
}

/** The project's own package.json-like view (Package.toml's table serves as one: name, version, config…). */
export interface ProjectScripts {
  dir: string;
  pkg: PackageJson;
  scripts: Record<string, string>;
  /** whether a binding.gyp sits beside the manifest (npm then implies `install: node-gyp rebuild`) */
  hasBindingGyp: boolean;
}

/**
 * Runs the project's own scripts for `events` in order (those it defines), as npm runs them for
 * the root: in its directory, output to `output`; the first failure throws SCRIPT_FAILED.
 */
export async function runProjectScripts(
  ctx: ScriptContext,
  project: ProjectScripts,
  events: readonly string[],
  output: ScriptRun['output'],
  label: string,
): Promise<string[]> {
  const ran: string[] = [];
  for (const [event, script] of installScripts({ ...project.pkg, scripts: project.scripts }, project.hasBindingGyp, events)) {
    const outcome = await runScript(ctx, { dir: project.dir, pkg: project.pkg, event, script, output });
    if (outcome.code !== 0 || outcome.signal) throw scriptFailed(label, event, script, outcome);
    ran.push(event);
  }
  return ran;
}
