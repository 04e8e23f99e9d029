import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Version } from '@entropic/types';
import { Secret, TOTP } from 'otpauth';
import {
  confirmTotpEnrolment,
  disableTotp,
  getSecondFactorStatus,
  listOwnAudit,
  type Principal,
  presentOtp,
  setDistTag,
  startTotpEnrolment,
  verifySecondFactor,
  yankVersion,
} from '../src/index.ts';
import { packageRef, publish, seedUser } from './support/catalog-fixtures.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

/** The code an authenticator app shows for `secret` at `at`. */
const codeAt = (secret: string, at: Date) =>
  new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: at.getTime() });

describe('TOTP second factor (fake clock, real repositories)', () => {
  let deps: TestCoreDeps;
  let alice: Principal;
  let session: Principal;
  let secret: string;
  let now = new Date('2026-03-01T12:00:05Z');
  const advance = (seconds: number) => {
    now = new Date(now.getTime() + seconds * 1000);
  };
  const withOtp = (code: string): Principal => ({ ...alice, otp: presentOtp(deps, alice.userId, code) });

  before(async () => {
    deps = await createTestCoreDeps();
    deps.clock = { now: () => now };
    alice = (await seedUser(deps, 'alice')).principal;
    session = { ...alice, scope: 'session' };
    await publish(deps, alice, packageRef(deps, 'alice', 'lib'), '1.0.0');
  });
  after(() => deps.close());

  it('enrols: the secret waits until a right code confirms it, then 10 recovery codes are shown once', async () => {
    await assert.rejects(startTotpEnrolment(deps, { principal: alice }), { code: 'UNAUTHENTICATED' }, 'website only');
    const started = await startTotpEnrolment(deps, { principal: session });
    secret = started.secret;
    assert.match(started.uri, /^otpauth:\/\/totp\/Entropic:alice\?/);
    assert.match(started.uri, new RegExp(`secret=${secret}`));
    assert.deepEqual(await getSecondFactorStatus(deps, { userId: alice.userId }), {
      enabled: false,
      pending: true,
      forWrites: true,
      recoveryCodesLeft: 0,
    });
    // not yet enabled: writes go through without a code
    await setDistTag(deps, { principal: alice, ref: packageRef(deps, 'alice', 'lib'), tag: 'pre', version: '1.0.0' as Version });
    await assert.rejects(confirmTotpEnrolment(deps, { principal: session, code: '000000', forWrites: true }), { code: 'OTP_INVALID' });
    const { recoveryCodes } = await confirmTotpEnrolment(deps, { principal: session, code: codeAt(secret, now), forWrites: true });
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    assert.equal((await getSecondFactorStatus(deps, { userId: alice.userId })).recoveryCodesLeft, 10);
    await assert.rejects(startTotpEnrolment(deps, { principal: session }), { code: 'SECOND_FACTOR_ALREADY_ENABLED' });
    (alice as { recovery?: string[] }).recovery = recoveryCodes;
  });

  it('a write without a code is OTP_REQUIRED; a wrong one, a replayed one and an expired one are OTP_INVALID', async () => {
    const ref = packageRef(deps, 'alice', 'lib');
    const tag = (principal: Principal, name: string) => setDistTag(deps, { principal, ref, tag: name, version: '1.0.0' as Version });
    await assert.rejects(tag(alice, 'a'), { code: 'OTP_REQUIRED' });
    await assert.rejects(tag(withOtp('123456'), 'a'), { code: 'OTP_INVALID' });
    await assert.rejects(tag(withOtp('12345'), 'a'), { code: 'OTP_INVALID' });
    // the confirming code's step is spent: the same code again is a replay
    await assert.rejects(tag(withOtp(codeAt(secret, now)), 'a'), { code: 'OTP_INVALID' });
    advance(30);
    const fresh = codeAt(secret, now);
    await tag(withOtp(fresh), 'a');
    await assert.rejects(tag(withOtp(fresh), 'b'), { code: 'OTP_INVALID' }, 'a code works once');
    // a code from two steps ago has expired (the window is one step either side)
    const old = codeAt(secret, now);
    advance(90);
    await assert.rejects(tag(withOtp(old), 'c'), { code: 'OTP_INVALID' });
    // the next step's code is accepted early (a phone clock a little ahead), once
    await yankVersion(deps, { principal: withOtp(codeAt(secret, new Date(now.getTime() + 30_000))), ref, version: '1.0.0' as Version });
    // one presented code covers the whole request (checked once), however many writes it makes
    advance(60);
    const once = withOtp(codeAt(secret, now));
    await publish(deps, once, ref, '1.1.0');
    await setDistTag(deps, { principal: once, ref, tag: 'again', version: '1.1.0' as Version });
  });

  it('a website session signed in with the second factor writes without a code; one without it cannot', async () => {
    const ref = packageRef(deps, 'alice', 'lib');
    await setDistTag(deps, { principal: { ...session, secondFactor: true }, ref, tag: 's', version: '1.1.0' as Version });
    await assert.rejects(setDistTag(deps, { principal: session, ref, tag: 't', version: '1.1.0' as Version }), { code: 'OTP_REQUIRED' });
  });

  it('an automation token skips the prompt', async () => {
    const automation = { ...alice, automation: true } as Principal;
    await setDistTag(deps, { principal: automation, ref: packageRef(deps, 'alice', 'lib'), tag: 'ci', version: '1.1.0' as Version });
  });

  it('sign-in takes a current code or a recovery code, each once; failures are in the audit log', async () => {
    const recovery = (alice as { recovery?: string[] }).recovery as string[];
    advance(60);
    assert.equal(await verifySecondFactor(deps, { principal: session, code: '999999' }), undefined);
    assert.equal(await verifySecondFactor(deps, { principal: session, code: codeAt(secret, now) }), 'totp');
    assert.equal(await verifySecondFactor(deps, { principal: session, code: codeAt(secret, now) }), undefined);
    assert.equal(await verifySecondFactor(deps, { principal: session, code: recovery[0] as string }), 'recovery-code');
    assert.equal(await verifySecondFactor(deps, { principal: session, code: recovery[0] as string }), undefined);
    assert.equal((await getSecondFactorStatus(deps, { userId: alice.userId })).recoveryCodesLeft, 9);
    const { entries } = await listOwnAudit(deps, { principal: alice, limit: 100 });
    const actions = entries.map((e) => e.action);
    assert.ok(actions.includes('second-factor-enabled'));
    assert.ok(actions.includes('recovery-code-used'));
    assert.equal(actions.filter((a) => a === 'second-factor-failed').length, 3);
    assert.ok(actions.includes('publish') && actions.includes('yank') && actions.includes('tag-set'));
  });

  it('turning it off takes a code; writes then need none', async () => {
    await assert.rejects(disableTotp(deps, { principal: session, code: '000000' }), { code: 'OTP_INVALID' });
    advance(30);
    await disableTotp(deps, { principal: session, code: codeAt(secret, now) });
    assert.equal((await getSecondFactorStatus(deps, { userId: alice.userId })).enabled, false);
    await setDistTag(deps, { principal: alice, ref: packageRef(deps, 'alice', 'lib'), tag: 'free', version: '1.1.0' as Version });
  });
});
