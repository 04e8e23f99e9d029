import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, publishVersion, type TestApp } from '@entropic/testkit';

const HOSTILE_NAME = 'lib/<img src=x onerror=alert(1)>"\'&.js';

describe('website: file browser and diffs', () => {
  let t: TestApp;
  let v1: Record<string, string>;

  before(async () => {
    t = await createTestApp();
    const alice = await t.createUser('alice');
    const big = `${'// filler line\n'.repeat(40_000)}`; // ~600 KB: over the inline limit
    v1 = (
      await publishVersion(t.app, 'alice/lib', '1.0.0', {
        token: alice.token,
        files: {
          'index.js': 'const answer = 42;\nmodule.exports = answer;\n',
          'docs/guide.md': '# Guide\n\n<script>alert(1)</script> **bold**\n',
          [HOSTILE_NAME]: '</code></pre><script>alert("x")</script>\n',
          'logo.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 1, 2, 3]),
          'big.js': big,
          'same.txt': 'unchanged\n',
        },
      })
    ).files;
    await publishVersion(t.app, 'alice/lib', '1.1.0', {
      token: alice.token,
      files: {
        'index.js': 'const answer = 43;\nmodule.exports = answer;\n',
        'docs/guide.md': '# Guide\n\nNew text.\n',
        'new.js': 'export {};\n',
        'logo.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 9, 9, 9]),
        'same.txt': 'unchanged\n',
      },
    });
  });
  after(() => t?.close());

  const get = (url: string) => t.app.inject({ url });
  const base = '/www/packages/alice/lib';

  it('lists the tree, directories first, each entry a link', async () => {
    const root = await get(`${base}/v/1.0.0/files`);
    assert.equal(root.statusCode, 200);
    assert.match(root.body, /6 files in this version/);
    assert.match(root.body, /href="\/www\/packages\/alice@[^/]+\/lib\/v\/1\.0\.0\/files\/docs">docs\/<\/a>[\s\S]*big\.js/);
    const lib = await get(`${base}/v/1.0.0/files/lib`);
    assert.equal(lib.statusCode, 200);
    assert.match(lib.body, /&lt;img src=x onerror=alert\(1\)&gt;&quot;&#39;&amp;\.js/, 'a hostile name is escaped');
    assert.match(lib.body, /files\/lib\/%3Cimg%20src%3Dx%20onerror%3Dalert\(1\)%3E%22&#39;%26\.js"/, 'and its link encoded');
  });

  it('shows a file highlighted, with size, hash and a raw link that serves its bytes', async () => {
    const page = await get(`${base}/v/1.0.0/files/index.js`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-language="javascript"/);
    assert.match(page.body, /<span class="hljs-keyword">const<\/span> answer = <span class="hljs-number">42<\/span>/);
    assert.match(page.body, /data-testid="file-size">44 B</);
    const integrity = v1['./package/index.js'] as string;
    assert.ok(page.body.includes(`data-testid="file-integrity">${integrity}<`));
    const raw = /href="(\/objects\/object\/sha512\/[^"]+)">Raw</.exec(page.body)?.[1] as string;
    assert.equal((await get(raw)).body, 'const answer = 42;\nmodule.exports = answer;\n');
  });

  it('renders Markdown sanitised, and its source on request', async () => {
    const page = await get(`${base}/v/1.0.0/files/docs/guide.md`);
    assert.match(page.body, /data-testid="markdown"><h1>Guide<\/h1>/);
    assert.match(page.body, /<strong>bold<\/strong>/);
    assert.doesNotMatch(page.body, /<script>alert/);
    const source = await get(`${base}/v/1.0.0/files/docs/guide.md?source=1`);
    assert.match(source.body, /data-language="markdown"/);
  });

  it('escapes a file meant to break the page; binary and huge files are not shown inline', async () => {
    const hostile = await get(`${base}/v/1.0.0/files/${HOSTILE_NAME.split('/').map(encodeURIComponent).join('/')}`);
    assert.equal(hostile.statusCode, 200);
    assert.doesNotMatch(hostile.body, /<script>alert\("x"\)|<img src=x/);
    assert.match(hostile.body, /<code>&lt;<span class="hljs-regexp">\/code&gt;&lt;\/<\/span>pre&gt;/, 'shown as (highlighted) text');
    assert.equal(hostile.body.split('</pre>').length, 2, 'one code block, closed once');
    const binary = await get(`${base}/v/1.0.0/files/logo.png`);
    assert.equal(binary.statusCode, 200);
    assert.match(binary.body, /binary file/);
    const big = await get(`${base}/v/1.0.0/files/big.js`);
    assert.equal(big.statusCode, 200);
    assert.match(big.body, /too large to show here/);
    assert.ok(big.body.length < 20_000, 'the page stays small');
  });

  it('answers 404 for paths that are not there and for dot segments, never a 500', async () => {
    for (const path of ['nope.js', 'lib%2F..%2Findex.js', '%2e%2e/%2e%2e/etc/passwd', 'index.js/more', `${'a/'.repeat(600)}x`]) {
      const response = await get(`${base}/v/1.0.0/files/${path}`);
      assert.equal(response.statusCode, 404, path);
    }
    assert.equal((await get(`${base}/v/3.0.0/files/index.js`)).statusCode, 404);
  });

  it('diffs two versions: only files whose hashes differ, with line changes', async () => {
    const page = await get(`${base}/diff/1.0.0..1.1.0`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-testid="diff-summary">6 files differ; 1 are the same/);
    assert.doesNotMatch(page.body, /same\.txt/, 'an unchanged file is not listed');
    assert.match(page.body, /<span class="del"><span class="visually-hidden">removed: <\/span>-const answer = 42;<\/span>/);
    assert.match(page.body, /<span class="add"><span class="visually-hidden">added: <\/span>\+const answer = 43;<\/span>/);
    assert.match(page.body, /new\.js<\/a> <span class="badge">added/);
    assert.match(page.body, /big\.js<\/a> <span class="badge">removed[\s\S]*?Too large to compare/);
    assert.match(page.body, /logo\.png<\/a> <span class="badge">changed[\s\S]*?Binary files differ/);
    assert.doesNotMatch(page.body, /<script>alert/);
    const bad = await get(`${base}/diff/1.0.0`);
    assert.equal(bad.statusCode, 400);
    assert.equal((await get(`${base}/diff/1.0.0..9.0.0`)).statusCode, 404);
  });
});
