import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { START_TIMEOUT_MS, waitForStart } from '../src/wait-for-start.ts';

function node(script: string) {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  return { child, output: () => output };
}

describe('waitForStart (issue 17.3: start deadlines tolerate a slow machine and say what they waited for)', () => {
  it('allows minutes, not seconds, by default', () => {
    assert.ok(START_TIMEOUT_MS >= 120_000, String(START_TIMEOUT_MS));
  });

  it('names what it waited for, how long, and the tail of what the process printed', async () => {
    const p = node("console.log('booting'); console.error('still booting'); setInterval(() => {}, 1000);");
    await assert.rejects(
      waitForStart({ what: 'the thing to answer GET /ping', child: p.child, output: p.output, probe: async () => false, timeoutMs: 800 }),
      (error: Error) => {
        assert.match(error.message, /gave up waiting 1 s for the thing to answer GET \/ping \(load average [\d. ]+\)/);
        assert.match(error.message, /booting\nstill booting/);
        return true;
      },
    );
    assert.ok(p.child.killed, 'the hung process is killed');
  });

  it('says so at once when the process exits, with its output', async () => {
    const p = node("console.error('EADDRINUSE'); process.exit(3);");
    await assert.rejects(
      waitForStart({ what: 'the registry to answer', child: p.child, output: p.output, probe: async () => false, timeoutMs: 60_000 }),
      /the registry to answer: the process exited \(3\) after \d+ ms; it printed:\nEADDRINUSE/,
    );
  });

  it('returns as soon as the probe answers', async () => {
    const p = node('setInterval(() => {}, 1000);');
    let calls = 0;
    await waitForStart({ what: 'x', child: p.child, output: p.output, probe: async () => ++calls >= 3, intervalMs: 10 });
    assert.equal(calls, 3);
    p.child.kill();
  });
});
