import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import semver from 'semver';
import { createLimiter } from './create-limiter.ts';
import { installScripts, outputTail, runScript, type ScriptContext, scriptFailed } from './lifecycle-scripts.ts';
import type { InstallUnit, LinkedManifest } from './link-node-modules.ts';
import { installName, specFromCanonical } from './parse-package-spec.ts';

/** A dependency with install scripts, and what they are. */
export interface ScriptedPackage {
  path: string;
  /** as the manifest names it: the npm name for `legacy`, `ns/name` on this registry, else `ns@host/name` */
  name: string;
  version: string;
  scripts: Array<[string, string]>;
}

/**
 * Whether the project allows a dependency's scripts: a `trustedDependencies` entry that is its
 * name, or its name and `@<version range>`, or its name and `@<integrity>` of its version document.
 */
export function isTrusted(trusted: readonly string[], name: string, version: string, integrity: string): boolean {
  return trusted.some((entry) => {
    if (entry === name) return true;
    if (!entry.startsWith(`${name}@`)) return false;
    const rest = entry.slice(name.length + 1);
    if (rest.startsWith('sha512-')) return rest === integrity;
    return semver.validRange(rest) !== null && semver.satisfies(version, rest, { includePrerelease: true });
  });
}

/** Where Node finds `name` from the package at `path` (walking up the node_modules directories). */
function resolveFrom(paths: Set<string>, from: string, name: string): string | undefined {
  for (let dir = from; ; ) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (paths.has(candidate)) return candidate;
    if (dir === '') return undefined;
    const up = dir.lastIndexOf('/node_modules/');
    dir = up === -1 ? '' : dir.slice(0, up);
  }
}

/** Each unit's installed dependencies, by install path. */
function dependencyPaths(units: InstallUnit[]): Map<string, string[]> {
  const paths = new Set(units.map((u) => u.path));
  const out = new Map<string, string[]>();
  for (const unit of units) {
    const deps = new Set<string>();
    const { dependencies, optionalDependencies, peerDependencies } = unit.document;
    for (const canonical of Object.keys({ ...dependencies, ...optionalDependencies, ...peerDependencies })) {
      let name: string;
      try {
        name = installName(specFromCanonical(canonical, '*').ref);
      } catch {
        continue;
      }
      const found = resolveFrom(paths, unit.path, name);
      if (found && found !== unit.path) deps.add(found);
    }
    out.set(unit.path, [...deps]);
  }
  return out;
}

/** Post-order over the dependency graph (dependencies first); a cycle is cut where it closes, as npm does. */
function dependencyOrder(deps: Map<string, string[]>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  for (const start of [...deps.keys()].sort()) {
    if (state.has(start)) continue;
    const stack: Array<{ path: string; next: number }> = [{ path: start, next: 0 }];
    state.set(start, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { path: string; next: number };
      const children = deps.get(top.path) ?? [];
      if (top.next < children.length) {
        const child = children[top.next++] as string;
        if (!state.has(child)) {
          state.set(child, 'open');
          stack.push({ path: child, next: 0 });
        }
      } else {
        state.set(top.path, 'done');
        order.push(top.path);
        stack.pop();
      }
    }
  }
  return order;
}

export interface DependencyScriptsInput {
  ctx: ScriptContext;
  projectDir: string;
  units: InstallUnit[];
  manifests: Map<string, LinkedManifest>;
  /** the display name of a unit (what trustedDependencies entries name) */
  nameOf(unit: InstallUnit): string;
  /** the allowed ones */
  allowed(unit: InstallUnit): boolean;
  /** a failing script's output tail goes here before the error is thrown */
  report(text: string): void;
  /** a script started (`<name>@<version> <event>: <command>`) */
  started?(line: string): void;
}

/** Which dependencies have install scripts, split into those the project allows and the rest. */
export function findScriptedPackages(input: Omit<DependencyScriptsInput, 'ctx' | 'projectDir' | 'report'>): {
  allowed: ScriptedPackage[];
  blocked: ScriptedPackage[];
} {
  const allowed: ScriptedPackage[] = [];
  const blocked: ScriptedPackage[] = [];
  for (const unit of input.units) {
    const linked = input.manifests.get(unit.path);
    if (!linked) continue;
    const scripts = installScripts(linked.pkg, linked.hasBindingGyp);
    if (scripts.length === 0) continue;
    const entry = { path: unit.path, name: input.nameOf(unit), version: unit.version, scripts };
    (input.allowed(unit) ? allowed : blocked).push(entry);
  }
  return { allowed, blocked };
}

/**
 * Runs the allowed dependencies' install scripts in their package directories: a package after
 * every package it depends on (transitively) that has scripts, independent ones in parallel (as
 * many as there are CPUs), each one's output captured. The first failure stops new scripts from
 * starting; once the running ones end, it is thrown (SCRIPT_FAILED) after its output's tail is reported.
 */
export async function runDependencyScripts(input: DependencyScriptsInput, scripted: ScriptedPackage[]): Promise<void> {
  if (scripted.length === 0) return;
  const byPath = new Map(scripted.map((s) => [s.path, s]));
  const deps = dependencyPaths(input.units);
  const order = dependencyOrder(deps);
  const limit = createLimiter(Math.max(1, availableParallelism()));
  const done = new Map<string, Promise<void>>();
  let failure: Error | undefined;
  const runOne = async (entry: ScriptedPackage) => {
    const unit = input.units.find((u) => u.path === entry.path) as InstallUnit;
    const dir = join(input.projectDir, ...entry.path.split('/'));
    const pkg = input.manifests.get(entry.path)?.pkg ?? {};
    for (const [event, script] of entry.scripts) {
      if (failure) return;
      input.started?.(`${entry.name}@${entry.version} ${event}: ${script}`);
      const outcome = await runScript(input.ctx, { dir, pkg, event, script, output: 'capture' });
      if (outcome.code !== 0 || outcome.signal) {
        if (!failure) {
          failure = scriptFailed(`${entry.name}@${entry.version} (${unit.path})`, event, script, outcome);
          const tail = outputTail(outcome.output);
          input.report(`${entry.name}@${entry.version} ${event}: ${script}\n${tail ? `${tail}\n` : '(no output)\n'}`);
        }
        return;
      }
    }
  };
  for (const path of order) {
    // Only dependencies earlier in the order are waited for, so a cycle cannot deadlock.
    const before = (deps.get(path) ?? []).map((d) => done.get(d)).filter((p): p is Promise<void> => p !== undefined);
    const entry = byPath.get(path);
    done.set(
      path,
      Promise.all(before).then(() => (entry && !failure ? limit(() => runOne(entry)) : undefined)),
    );
  }
  await Promise.all(done.values());
  if (failure) throw failure;
}
