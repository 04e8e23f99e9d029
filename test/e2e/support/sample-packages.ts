import { publishVersion, type TestApp } from '@entropic/testkit';

type FastifyInstance = TestApp['app'];

const README_1 = `# rocket-lib

A small library that launches rockets, for the website's browser tests and screenshots.

## Usage

\`\`\`js
import { launch } from '@acme/rocket-lib';
await launch({ stages: 2 });
\`\`\`

| option | default |
|---|---|
| stages | 1 |
`;

const README_2 = `${README_1}
## Safety

<script>alert('readme')</script> <img src=x onerror="alert('img')"> [a link](javascript:alert('link'))
`;

const INDEX_1 = `// Launches a rocket.
export async function launch(options = {}) {
  const stages = options.stages ?? 1;
  for (let stage = 1; stage <= stages; stage++) console.log(\`stage \${stage}\`);
  return { ok: true, stages };
}
`;

const INDEX_2 = `// Launches a rocket, and says how high it went.
export async function launch(options = {}) {
  const stages = options.stages ?? 1;
  let altitude = 0;
  for (let stage = 1; stage <= stages; stage++) altitude += 100 * stage;
  return { ok: true, stages, altitude };
}
`;

const manifest = (version: string) =>
  JSON.stringify(
    {
      name: '@acme/rocket-lib',
      version,
      description: 'Launches rockets (a sample package)',
      keywords: ['rocket', 'space'],
      license: 'MIT',
    },
    null,
    2,
  );

/**
 * Publishes the packages the browser test and the screenshot script look at: acme/rocket-lib
 * 1.0.0 and 1.1.0 (README, code, Markdown docs, a binary file, hostile names and contents) and
 * acme/launchpad, which depends on it.
 */
export async function publishSamplePackages(app: FastifyInstance, token: string): Promise<void> {
  const org = await app.inject({ method: 'PUT', url: '/namespaces/namespace/acme', headers: { authorization: `Bearer ${token}` } });
  if (org.statusCode !== 201) throw new Error(`creating the acme organisation failed: ${org.statusCode} ${org.body}`);
  await publishVersion(app, 'acme/rocket-lib', '1.0.0', {
    token,
    files: {
      'package.json': manifest('1.0.0'),
      'README.md': README_1,
      'index.js': INDEX_1,
      'docs/guide.md': '# Guide\n\nRead the **README** first.\n',
    },
  });
  await publishVersion(app, 'acme/rocket-lib', '1.1.0', {
    token,
    files: {
      'package.json': manifest('1.1.0'),
      'README.md': README_2,
      'index.js': INDEX_2,
      'docs/guide.md': '# Guide\n\nRead the **README** first, then `index.js`.\n',
      'logo.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]),
      'lib/<img src=x onerror=alert(1)>.js': '</code></pre><script>alert("file")</script>\n',
    },
    fields: { dependencies: { 'left-pad': '^1.3.0' } },
  });
  await publishVersion(app, 'acme/launchpad', '0.1.0', {
    token,
    files: {
      'package.json': JSON.stringify({ name: '@acme/launchpad', version: '0.1.0', description: 'Uses rocket-lib' }),
      'index.js': 'export {};\n',
    },
    fields: { dependencies: { 'acme/rocket-lib': '^1.1.0' } },
  });
}
