import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collisionKey, parseFilePath, readmeRank } from '@entropic/core';
import { AppError } from '@entropic/types';

const encode = (path: string) => encodeURIComponent(path);

function assertInvalid(filename: string, pattern?: RegExp): void {
  assert.throws(
    () => parseFilePath(filename),
    (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, 'INVALID_PATH', filename);
      if (pattern) assert.match(error.message, pattern);
      return true;
    },
    JSON.stringify(filename),
  );
}

describe('parseFilePath', () => {
  it('turns encodeURIComponent("package/" + path) into "./package/<path>"', () => {
    assert.equal(parseFilePath(encode('package/index.js')), './package/index.js');
    assert.equal(parseFilePath(encode('package/lib/a b/ü.js')), './package/lib/a b/ü.js');
    assert.equal(parseFilePath(encode('package/.npmignore')), './package/.npmignore');
    assert.equal(parseFilePath(encode('package/..hidden/x')), './package/..hidden/x');
    assert.equal(parseFilePath('package/raw.js'), './package/raw.js');
    assert.equal(parseFilePath(encode(`package/${'a'.repeat(1024 - 'package/'.length)}`)).length, 1024 + 2);
  });

  it('refuses empty paths and paths that name no file', () => {
    assertInvalid('', /empty/);
    assertInvalid(encode('package'));
    assertInvalid(encode('package/'), /empty segment/);
  });

  it('refuses absolute paths', () => {
    assertInvalid(encode('/etc/passwd'), /absolute/);
    assertInvalid(encode('/package/index.js'), /absolute/);
    assertInvalid(encode('C:/package/index.js'), /absolute/);
    assertInvalid(encode('c:package'), /absolute/);
  });

  it('refuses "." and ".." segments', () => {
    for (const path of ['package/../x', 'package/a/../../x', 'package/./x', 'package/a/.', 'package/..', '../package/x']) {
      assertInvalid(encode(path));
    }
  });

  it('refuses empty segments', () => {
    for (const path of ['package//x', 'package/a//b', 'package/a/']) assertInvalid(encode(path), /empty segment/);
  });

  it('refuses backslashes', () => {
    assertInvalid(encode('package\\index.js'), /backslash/);
    assertInvalid(encode('package/a\\..\\..\\x'), /backslash/);
  });

  it('refuses NUL, C0, DEL and C1 control characters', () => {
    for (const char of ['\u0000', '\u0001', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009f']) {
      assertInvalid(encode(`package/a${char}b.js`), /control/);
    }
  });

  it('refuses paths longer than 1024 bytes, counting UTF-8 bytes', () => {
    assertInvalid(encode(`package/${'a'.repeat(1024 - 'package/'.length + 1)}`), /1024/);
    // 400 three-byte characters: 400 characters but 1208 bytes
    assertInvalid(encode(`package/${'€'.repeat(400)}`), /1024/);
  });

  it('refuses paths outside package/', () => {
    assertInvalid(encode('index.js'), /package\//);
    assertInvalid(encode('pkg/index.js'), /package\//);
    assertInvalid(encode('Package/index.js'), /package\//);
  });

  it('refuses bad percent-encoding', () => {
    assertInvalid('package%2Fa%E0%A4%A', /percent-encoded/);
    assertInvalid('package/%', /percent-encoded/);
  });
});

describe('collisionKey', () => {
  it('folds case and Unicode normalisation', () => {
    assert.equal(collisionKey('./package/README.md'), collisionKey('./package/readme.md'));
    assert.equal(collisionKey('./package/caf\u00e9.js'), collisionKey('./package/cafe\u0301.js'));
    assert.equal(collisionKey('./package/CAFE\u0301.JS'), collisionKey('./package/caf\u00e9.js'));
    assert.notEqual(collisionKey('./package/a.js'), collisionKey('./package/b.js'));
  });
});

describe('readmeRank', () => {
  it('ranks root READMEs, case-insensitively: .md, then .markdown, then none', () => {
    assert.equal(readmeRank('./package/README.md'), 0);
    assert.equal(readmeRank('./package/readme.MD'), 0);
    assert.equal(readmeRank('./package/Readme.markdown'), 1);
    assert.equal(readmeRank('./package/README'), 2);
  });

  it('ignores other files and nested READMEs', () => {
    for (const path of ['./package/README.txt', './package/docs/README.md', './package/readme.md.bak', './package/xreadme.md']) {
      assert.equal(readmeRank(path), undefined, path);
    }
  });
});
