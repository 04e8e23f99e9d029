import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createMultipartBody, formatPackageRef, type MultipartPart, type PackageRef } from '@entropic/client';
import { isValidNamespaceName, packageNameProblem, truncate } from '@entropic/types';
import semver from 'semver';
import type { CliContext } from '../cli-context.ts';
import { cliError } from '../cli-error.ts';
import { defineCommand } from '../command.ts';
import { stringOption } from '../command-args.ts';
import { runProjectScripts } from '../lifecycle-scripts.ts';
import { listPackageFiles, type PackageFile } from '../list-package-files.ts';
import { isTag } from '../parse-package-spec.ts';
import { getProjectManifest, type ProjectManifest } from '../project-manifest.ts';

/** Package.toml keys copied into a generated package.json, so Node can load the package. */
const PASSTHROUGH = ['main', 'type', 'exports', 'bin', 'module', 'types', 'engines'];

function bad(manifest: ProjectManifest, message: string, hint?: string): Error {
  return cliError('INVALID_MANIFEST', `${manifest.path}: ${message}`, hint ?? `Fix ${manifest.path}.`);
}

/** `ns@host/pkg` or `ns/pkg` in Package.toml; `@ns/pkg` in package.json. */
export function packageRefFromManifest(manifest: ProjectManifest, registryHost: string): PackageRef {
  const raw = manifest.name;
  if (!raw) throw bad(manifest, 'has no "name".', 'Add name = "namespace/package".');
  let namespace: string;
  let host = registryHost;
  let name: string;
  if (manifest.kind === 'json') {
    const match = /^@([^/]+)\/([^/]+)$/.exec(raw);
    if (!match) {
      throw bad(
        manifest,
        `"${raw}" has no namespace.`,
        'Name it "@<namespace>/<name>", or write a Package.toml with name = "namespace/name".',
      );
    }
    namespace = match[1] as string;
    name = match[2] as string;
  } else {
    const match = /^([^/@]+)(?:@([^/]+))?\/([^/]+)$/.exec(raw);
    if (!match) throw bad(manifest, `"${truncate(raw)}" is not "namespace/name" or "namespace@host/name".`);
    namespace = match[1] as string;
    if (match[2]) host = match[2].toLowerCase();
    name = match[3] as string;
  }
  if (!isValidNamespaceName(namespace)) throw bad(manifest, `"${truncate(namespace)}" is not a valid namespace.`);
  const problem = packageNameProblem(name, namespace);
  if (problem) throw bad(manifest, `"${truncate(name)}" is not a valid package name: ${problem}.`);
  return { namespace, host, name };
}

function checkedVersion(manifest: ProjectManifest): string {
  const version = manifest.version;
  if (!version) throw bad(manifest, 'has no "version".', 'Add version = "1.0.0".');
  const clean = semver.clean(version);
  if (clean !== version || version.includes('+')) {
    throw bad(manifest, `"${truncate(version)}" is not canonical semver.`, clean ? `Use "${clean}".` : 'Use a version such as "1.0.0".');
  }
  return version;
}

function generatedPackageJson(manifest: ProjectManifest, ref: PackageRef, version: string): string {
  const doc: Record<string, unknown> = { name: `@${ref.namespace}/${ref.name}`, version };
  if (manifest.description) doc.description = manifest.description;
  if (manifest.license) doc.license = manifest.license;
  for (const key of PASSTHROUGH) if (manifest.raw[key] !== undefined) doc[key] = manifest.raw[key];
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export interface PublishResult {
  name: string;
  version: string;
  tag: string | null;
  dryRun: boolean;
  files: PackageFile[];
  totalBytes: number;
  integrity: string | null;
}

export const publish = defineCommand<PublishResult>({
  name: 'publish',
  summary: 'Publish the package in the current directory',
  usage: ['publish [--tag <tag>] [--dry-run] [--ignore-scripts]'],
  options: {
    'ignore-scripts': { type: 'boolean', description: 'run none of prepublishOnly, prepack, prepare, postpack, publish, postpublish' },
    tag: { type: 'string', description: 'the dist-tag to point at this version (default latest)' },
    'dry-run': { type: 'boolean', description: 'list the files and total size; upload nothing' },
  },
  details: [
    'Reads Package.toml (or, when there is none, package.json) from this directory or a parent:',
    '',
    '  name = "namespace/pkg"          # or "namespace@host/pkg"',
    '  version = "1.0.0"',
    '  description = "…"',
    '  license = "MIT"',
    '  main = "index.js"               # copied into a generated package.json',
    '  [dependencies]',
    '  "alice/left-pad" = "^1.0.0"     # an Entropic package',
    '  "lodash" = "^4.17.0"            # an npm (legacy) package',
    '',
    'Files are chosen with npm\'s rules: "files", .npmignore or .gitignore, always README/LICENSE.',
    'Scripts run as with npm publish: prepublishOnly, prepack, prepare before the files are listed,',
    'postpack after, publish and postpublish once the registry accepted the version.',
  ].join('\n'),
  async run(ctx: CliContext) {
    const manifest = await getProjectManifest(ctx.io.cwd);
    if (manifest.private) throw cliError('PRIVATE_PACKAGE', `${manifest.path} is marked private.`, 'Remove "private" to publish it.');
    const registryHost = await ctx.registryHost();
    const ref = packageRefFromManifest(manifest, registryHost);
    if (ref.host !== registryHost) {
      throw cliError(
        'REGISTRY_MISMATCH',
        `${formatPackageRef(ref)} belongs to ${ref.host}, but the registry is ${ctx.registry} (${registryHost}).`,
        `Publish with --registry https://${ref.host} (or http://), or change the name.`,
      );
    }
    const version = checkedVersion(manifest);
    const tag = stringOption(ctx, 'tag') ?? null;
    if (tag !== null && !isTag(tag))
      throw cliError('USAGE', `"${truncate(tag)}" is not a valid tag.`, 'Tags start with a letter and are not semver ranges.');
    const lifecycle = (events: readonly string[]) =>
      ctx.options['ignore-scripts'] === true
        ? Promise.resolve([])
        : runProjectScripts(
            { env: ctx.io.env, initCwd: ctx.io.cwd },
            { dir: manifest.dir, pkg: manifest.raw, scripts: manifest.scripts, hasBindingGyp: false },
            events,
            { stdout: ctx.json ? ctx.io.stderr : ctx.io.stdout, stderr: ctx.io.stderr },
            formatPackageRef(ref),
          );
    await lifecycle(['prepublishOnly', 'prepack', 'prepare']);
    const files = await listPackageFiles(manifest);
    await lifecycle(['postpack']);
    let extra: string | undefined;
    if (manifest.kind === 'toml' && !files.some((f) => f.path === 'package.json')) {
      extra = generatedPackageJson(manifest, ref, version);
      files.push({ path: 'package.json', size: Buffer.byteLength(extra) });
    }
    const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
    const result: PublishResult = { name: formatPackageRef(ref), version, tag, dryRun: true, files, totalBytes, integrity: null };
    if (ctx.options['dry-run'] === true) return result;
    ctx.requireToken();

    const parts: MultipartPart[] = [
      { kind: 'field', name: 'dependencies', value: JSON.stringify(manifest.dependencies) },
      { kind: 'field', name: 'devDependencies', value: JSON.stringify(manifest.devDependencies) },
      { kind: 'field', name: 'peerDependencies', value: JSON.stringify(manifest.peerDependencies) },
      { kind: 'field', name: 'optionalDependencies', value: JSON.stringify(manifest.optionalDependencies) },
      { kind: 'field', name: 'bundledDependencies', value: JSON.stringify(manifest.bundledDependencies) },
      ...(tag ? [{ kind: 'field' as const, name: 'tag', value: tag }] : []),
    ];
    for (const file of files) {
      const generated = file.path === 'package.json' ? extra : undefined;
      parts.push({
        kind: 'file',
        name: 'entry[]',
        filename: encodeURIComponent(`package/${file.path}`),
        open:
          generated !== undefined
            ? async function* () {
                yield Buffer.from(generated);
              }
            : () => createReadStream(join(manifest.dir, file.path)),
      });
    }
    ctx.progress.phase('upload', totalBytes, 'bytes');
    const body = createMultipartBody(parts, (bytes) => ctx.progress.tick(bytes));
    const document = await ctx.client().publish(ref, version, { body, compress: true });
    ctx.progress.done();
    await lifecycle(['publish', 'postpublish']);
    return { ...result, dryRun: false, integrity: document.integrity ?? null };
  },
  view(data) {
    const size = data.totalBytes < 1024 ? `${data.totalBytes} B` : `${(data.totalBytes / 1024).toFixed(1)} KiB`;
    if (data.dryRun) {
      return [
        ...data.files.map((f) => `${String(f.size).padStart(9)}  ${f.path}`),
        `${data.files.length} files, ${size} (dry run: nothing published)`,
      ].join('\n');
    }
    return `+ ${data.name}@${data.version}${data.tag ? ` (${data.tag})` : ''}: ${data.files.length} files, ${size}`;
  },
});
