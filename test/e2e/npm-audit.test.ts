import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type NpmUpstream, startNpmUpstream, type TestApp } from '@entropic/testkit';
import { runDs } from '../../packages/cli/test/support/ds-harness.ts';
import { makeNpmTarball } from '../../packages/server/test/support/npm-tarball.ts';
import { npmUserEnv, run, writeProject } from './support/npm-cli.ts';

/** Runs a command that may exit non-zero (npm audit does when it finds something): its status and output. */
function attempt(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: unknown }).code as number) : 0;
      resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
    });
  });
}

async function tarball(name: string, version: string): Promise<Buffer> {
  return makeNpmTarball([
    { name: 'package/package.json', content: JSON.stringify({ name, version, main: 'index.js' }) },
    { name: 'package/index.js', content: `module.exports = '${version}';\n` },
  ]);
}

const UPSTREAM_ADVISORY = {
  id: 1096543,
  url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
  title: 'Prototype pollution in vuln-dep',
  severity: 'high' as const,
  vulnerable_versions: '<1.1.0',
  cwe: ['CWE-1321'],
  cvss: { score: 7.5, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N' },
};

interface NpmAuditJson {
  vulnerabilities: Record<string, { severity: string; range: string; via: Array<{ source: number; title: string; url: string } | string> }>;
  metadata: { vulnerabilities: Record<string, number> };
}

describe('npm audit and ds audit through Entropic (issue 10.4)', { timeout: 600_000 }, () => {
  let root: string;
  let upstream: NpmUpstream;
  let t: TestApp;
  let registry: string;
  let project: string;
  let npmEnv: NodeJS.ProcessEnv;
  let dsEnv: Record<string, string>;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'entropic-npm-audit-'));
    upstream = await startNpmUpstream();
    for (const [name, version] of [
      ['vuln-dep', '1.0.0'],
      ['vuln-dep', '1.1.0'],
      ['safe-dep', '1.0.0'],
    ] as const) {
      upstream.publish(name, version, await tarball(name, version));
    }
    upstream.advise('vuln-dep', UPSTREAM_ADVISORY);
    t = await createTestApp({ env: { LEGACY_UPSTREAM: upstream.url } });
    registry = `${await t.listen()}/`;
    const alice = await t.createUser('alice');
    const publisher = await npmUserEnv(root, registry, 'alice', alice.token);
    for (const version of ['1.0.0', '1.0.1']) {
      const dir = join(root, `lib-${version}`);
      await writeProject(dir, { name: '@alice/lib', version, main: 'index.js' });
      await run('npm', ['publish'], dir, publisher);
    }
    await t.runJobs();
    dsEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: await mkdtemp(join(root, 'ds-home-')),
      ENTROPIC_REGISTRY: t.url,
      NO_COLOR: '1',
    };
    // the maintainer publishes an advisory with ds
    const added = await runDs(
      [
        'advisory',
        'add',
        'alice/lib',
        '--title',
        'Secrets logged by @alice/lib',
        '--severity',
        'moderate',
        '--vulnerable',
        '<1.0.1',
        '--patched',
        '>=1.0.1',
        '--cwe',
        'CWE-532',
      ],
      root,
      { ...dsEnv, ENTROPIC_TOKEN: alice.token },
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(
      added.stdout,
      /^Published advisory #\d+ for alice@127\.0\.0\.1:\d+\/lib:\n#\d+ {2}moderate {2}<1\.0\.1 {2}Secrets logged by @alice\/lib\n {6}fixed in >=1\.0\.1/,
    );

    project = join(root, 'app');
    await writeProject(project, {
      name: 'app',
      version: '1.0.0',
      dependencies: { 'vuln-dep': '1.0.0', 'safe-dep': '^1.0.0', '@alice/lib': '1.0.0' },
    });
    npmEnv = await npmUserEnv(root, registry, 'app');
    await run('npm', ['install'], project, npmEnv);
  });
  after(async () => {
    await t?.close();
    await upstream?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('npm audit --json reports the upstream advisory of a mirrored package and the maintainer advisory of a local one', async () => {
    const asked = upstream.advisoryRequests.length;
    const audit = await attempt('npm', ['audit', '--json'], project, npmEnv);
    assert.equal(audit.code, 1, audit.stderr);
    const report = JSON.parse(audit.stdout) as NpmAuditJson;
    assert.deepEqual(Object.keys(report.vulnerabilities).sort(), ['@alice/lib', 'vuln-dep']);
    const vuln = report.vulnerabilities['vuln-dep'];
    assert.equal(vuln?.severity, 'high');
    assert.deepEqual(vuln?.via, [
      {
        source: UPSTREAM_ADVISORY.id,
        name: 'vuln-dep',
        dependency: 'vuln-dep',
        title: UPSTREAM_ADVISORY.title,
        url: UPSTREAM_ADVISORY.url,
        severity: 'high',
        cwe: ['CWE-1321'],
        cvss: UPSTREAM_ADVISORY.cvss,
        range: '<1.1.0',
      },
    ]);
    const lib = report.vulnerabilities['@alice/lib'];
    assert.equal(lib?.severity, 'moderate');
    const via = lib?.via[0] as unknown as { title: string; url: string; range: string };
    assert.equal(via.title, 'Secrets logged by @alice/lib');
    assert.equal(via.range, '<1.0.1');
    assert.match(via.url, /^http:\/\/127\.0\.0\.1:\d+\/www\/packages\/alice@127\.0\.0\.1:\d+\/lib#advisory-\d+$/);
    assert.deepEqual(report.metadata.vulnerabilities, { info: 0, low: 0, moderate: 1, high: 1, critical: 0, total: 2 });
    // exactly the mirrored names went upstream (npm sends the body gzipped; the local one stayed here)
    assert.equal(upstream.advisoryRequests.length, asked + 1);
    assert.deepEqual(Object.keys(upstream.advisoryRequests.at(-1) ?? {}).sort(), ['safe-dep', 'vuln-dep']);

    // the human report, and the answer cached: a second audit does not ask the upstream again
    const human = await attempt('npm', ['audit'], project, npmEnv);
    assert.equal(human.code, 1);
    assert.match(
      human.stdout,
      /vuln-dep {2}1\.0\.0\nSeverity: high\nPrototype pollution in vuln-dep - https:\/\/github\.com\/advisories\/GHSA-aaaa-bbbb-cccc/,
    );
    assert.match(human.stdout, /Secrets logged by @alice\/lib/);
    assert.match(human.stdout, /2 vulnerabilities \(1 moderate, 1 high\)/);
    assert.equal(upstream.advisoryRequests.length, asked + 1);
  });

  it('ds advisory ls lists it; ds audit reads Package.lock and exits 14 at or above --audit-level', async () => {
    const listed = await runDs(['advisory', 'ls', 'alice/lib', '--json'], root, dsEnv);
    assert.equal(listed.code, 0, listed.stderr);
    const advisories = listed.json<{ advisories: Array<{ title: string; patched_versions: string }> }>().advisories;
    assert.deepEqual(
      advisories.map((a) => [a.title, a.patched_versions]),
      [['Secrets logged by @alice/lib', '>=1.0.1']],
    );

    const dsProject = join(root, 'ds-app');
    await writeProject(dsProject, { name: 'ds-app', private: true });
    const installed = await runDs(['install', 'vuln-dep@1.0.0', 'alice/lib@1.0.0', 'safe-dep'], dsProject, dsEnv);
    assert.equal(installed.code, 0, installed.stderr);
    const audit = await runDs(['audit'], dsProject, dsEnv);
    assert.equal(audit.code, 14, audit.stderr);
    assert.match(audit.stdout, /^high {6}vuln-dep@1\.0\.0 {2}Prototype pollution in vuln-dep\n/);
    assert.match(audit.stdout, /moderate {2}@alice\/lib@1\.0\.0 {2}Secrets logged by @alice\/lib/);
    assert.match(audit.stdout, /2 vulnerabilities \(1 moderate, 1 high\) in 3 packages\n$/);
    const critical = await runDs(['audit', '--audit-level', 'critical', '--json'], dsProject, dsEnv);
    assert.equal(critical.code, 0, critical.stderr);
    assert.equal(critical.json<{ findings: unknown[]; failing: number }>().findings.length, 2);
    assert.equal(critical.json<{ failing: number }>().failing, 0);
  });

  it('an upstream that cannot answer is an UPSTREAM_UNAVAILABLE error npm shows, never "found 0 vulnerabilities"', async () => {
    // a project of versions whose advisories were never asked, mirrored while the upstream was up
    const other = join(root, 'other');
    await writeProject(other, { name: 'other', version: '1.0.0', dependencies: { 'vuln-dep': '1.1.0' } });
    await run('npm', ['install'], other, npmEnv);
    await upstream.stop();
    const audit = await attempt('npm', ['audit'], other, npmEnv);
    assert.notEqual(audit.code, 0);
    const output = `${audit.stdout}\n${audit.stderr}`;
    assert.match(output, /502 Bad Gateway/);
    assert.match(output, /UPSTREAM_UNAVAILABLE/);
    assert.match(output, /security advisories could not be fetched: it could not be reached/);
    assert.doesNotMatch(output, /found 0 vulnerabilities/);
    const json = await attempt('npm', ['audit', '--json'], other, npmEnv);
    assert.notEqual(json.code, 0);
    assert.equal((JSON.parse(json.stdout) as { statusCode: number }).statusCode, 502);
  });
});
