import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createMultipartBody } from '../src/multipart-body.ts';

it('streams fields and lazily opened files as multipart/form-data, counting file bytes', async () => {
  const opened: string[] = [];
  let counted = 0;
  const body = createMultipartBody(
    [
      { kind: 'field', name: 'dependencies', value: '{"a/b":"^1"}' },
      {
        kind: 'file',
        name: 'entry[]',
        filename: encodeURIComponent('package/index.js'),
        open: async function* () {
          opened.push('index.js');
          yield Buffer.from('console.log(1)');
        },
      },
    ],
    (n) => {
      counted += n;
    },
  );
  assert.deepEqual(opened, []);
  const chunks: Buffer[] = [];
  for await (const chunk of body.stream()) chunks.push(Buffer.from(chunk));
  const text = Buffer.concat(chunks).toString();
  assert.equal(counted, 'console.log(1)'.length);
  assert.ok(body.contentType.endsWith(body.boundary));
  // Parse it back with the platform's multipart parser.
  const form = await new Response(Buffer.concat(chunks), { headers: { 'content-type': body.contentType } }).formData();
  assert.equal(form.get('dependencies'), '{"a/b":"^1"}');
  const file = form.get('entry[]') as File;
  assert.equal(file.name, 'package%2Findex.js');
  assert.equal(await file.text(), 'console.log(1)');
  assert.ok(text.endsWith(`--${body.boundary}--\r\n`));
});
