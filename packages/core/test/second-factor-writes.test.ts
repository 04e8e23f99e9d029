import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NamespaceRef, Version } from '@entropic/types';
import { Secret, TOTP } from 'otpauth';
import {
  acceptMembership,
  addTeamMember,
  approveWrite,
  confirmTotpEnrolment,
  createOrganisation,
  createTeam,
  grantTeam,
  inviteMaintainer,
  inviteMember,
  leaveMembership,
  type Principal,
  pollWriteApproval,
  presentOtp,
  removeDistTag,
  removeMaintainer,
  removeMember,
  removeTeamMember,
  revokeTeamGrant,
  setDistTag,
  setNamespaceSecondFactor,
  setNamespaceVisibility,
  setOrgRole,
  setPackageVisibility,
  startTotpEnrolment,
  startWriteApproval,
  yankVersion,
} from '../src/index.ts';
import { packageRef, publish, seedUser } from './support/catalog-fixtures.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

const codeAt = (secret: string, at: Date) =>
  new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: at.getTime() });

/**
 * Issue 10.1: in an organisation that requires a second factor, every write — publishing, yanking,
 * tags, and member changes (invitations, joining and leaving, teams and their members, access
 * grants, org roles, maintainers/owners, visibility) — needs a fresh one. The owner's own setting
 * is "sign-in only", so only the namespace's requirement asks here.
 */
describe('an organisation that requires a second factor: every write needs a fresh one', () => {
  let deps: TestCoreDeps;
  let now = new Date('2026-03-01T12:00:05Z');
  let alice: Principal;
  let bob: Principal;
  let carol: Principal;
  let dave: Principal;
  let secret: string;
  let acme: NamespaceRef;
  const ns = (name: string): NamespaceRef => ({ namespace: name as NamespaceRef['namespace'], host: deps.host });
  /** alice's token with the code of the next time step (each code works once) */
  const freshOtp = (): Principal => {
    now = new Date(now.getTime() + 30_000);
    return { ...alice, otp: presentOtp(deps, alice.userId, codeAt(secret, now)) };
  };

  before(async () => {
    deps = await createTestCoreDeps();
    deps.clock = { now: () => now };
    alice = (await seedUser(deps, 'alice')).principal;
    bob = (await seedUser(deps, 'bob')).principal;
    carol = (await seedUser(deps, 'carol')).principal;
    dave = (await seedUser(deps, 'dave')).principal;
    acme = ns('acme');
    await createOrganisation(deps, { principal: alice, ref: acme });
    await publish(deps, alice, packageRef(deps, 'acme', 'lib'), '1.0.0');
    for (const user of [bob, carol]) {
      await inviteMember(deps, { principal: alice, ref: acme, username: user.username });
      await acceptMembership(deps, { principal: user, user: ns(user.username), ref: acme });
    }
    await inviteMember(deps, { principal: alice, ref: acme, username: 'dave' });
    // alice: an authenticator app, for sign-in only
    const session: Principal = { ...alice, scope: 'session' };
    secret = (await startTotpEnrolment(deps, { principal: session })).secret;
    await confirmTotpEnrolment(deps, { principal: session, code: codeAt(secret, now), forWrites: false });
    // carol: a passkey only (website sign-in)
    await deps.repos.security.addPasskey({
      id: 'Y2Fyb2xzLXBhc3NrZXktaWQ',
      userId: carol.userId,
      publicKey: 'AA',
      counter: 0,
      transports: [],
      name: 'x',
    });
    // writes need no code before the organisation asks for one
    await setDistTag(deps, { principal: alice, ref: packageRef(deps, 'acme', 'lib'), tag: 'before', version: '1.0.0' as Version });
    await setNamespaceSecondFactor(deps, { principal: alice, ref: acme, required: true });
  });
  after(() => deps.close());

  const lib = () => packageRef(deps, 'acme', 'lib');
  const v = (s: string) => s as Version;
  /** Each write, run in order: refused without a code (OTP_REQUIRED), done with a fresh one. */
  const writes: Array<[string, (p: Principal) => Promise<unknown>]> = [
    ['publish', (p) => publish(deps, p, lib(), '1.1.0')],
    ['dist-tag set', (p) => setDistTag(deps, { principal: p, ref: lib(), tag: 'next', version: v('1.1.0') })],
    ['dist-tag remove', (p) => removeDistTag(deps, { principal: p, ref: lib(), tag: 'next' })],
    ['yank', (p) => yankVersion(deps, { principal: p, ref: lib(), version: v('1.0.0') })],
    ['member invitation', (p) => inviteMember(deps, { principal: p, ref: acme, username: 'dave' })],
    ['team create', (p) => createTeam(deps, { principal: p, ref: acme, team: 'devs' })],
    ['team member add', (p) => addTeamMember(deps, { principal: p, ref: acme, team: 'devs', username: 'bob' })],
    ['access grant', (p) => grantTeam(deps, { principal: p, ref: acme, team: 'devs', pkg: lib(), permission: 'write' })],
    ['access revoke', (p) => revokeTeamGrant(deps, { principal: p, ref: acme, team: 'devs', pkg: lib() })],
    ['team member remove', (p) => removeTeamMember(deps, { principal: p, ref: acme, team: 'devs', username: 'bob' })],
    ['org role', (p) => setOrgRole(deps, { principal: p, ref: acme, username: 'bob', role: 'developer' })],
    ['owner add (maintainer invitation)', (p) => inviteMaintainer(deps, { principal: p, ref: lib(), invitee: ns('bob') })],
    ['owner remove', (p) => removeMaintainer(deps, { principal: p, ref: lib(), invitee: ns('bob') })],
    ['package visibility', (p) => setPackageVisibility(deps, { principal: p, ref: lib(), private: true })],
    ['namespace visibility', (p) => setNamespaceVisibility(deps, { principal: p, ref: acme, private: false })],
    ['member removal', (p) => removeMember(deps, { principal: p, ref: acme, username: 'dave' })],
  ];

  for (const [name, write] of writes) {
    it(`${name}: OTP_REQUIRED without a code, done with a fresh one`, async () => {
      await assert.rejects(write(alice), { code: 'OTP_REQUIRED' });
      await assert.rejects(write({ ...alice, otp: presentOtp(deps, alice.userId, '000000') }), { code: 'OTP_INVALID' });
      await write(freshOtp());
    });
  }

  it('a member without any second factor: SECOND_FACTOR_REQUIRED for writes, joining and leaving', async () => {
    await assert.rejects(publish(deps, bob, lib(), '1.2.0'), { code: 'SECOND_FACTOR_REQUIRED' });
    await assert.rejects(inviteMember(deps, { principal: bob, ref: acme, username: 'dave' }), { code: 'SECOND_FACTOR_REQUIRED' });
    await assert.rejects(leaveMembership(deps, { principal: bob, user: ns('bob'), ref: acme }), { code: 'SECOND_FACTOR_REQUIRED' });
    // dave's invitation: joining is refused, declining is not a change of anyone's rights
    await inviteMember(deps, { principal: freshOtp(), ref: acme, username: 'dave' });
    await assert.rejects(acceptMembership(deps, { principal: dave, user: ns('dave'), ref: acme }), { code: 'SECOND_FACTOR_REQUIRED' });
    assert.equal((await leaveMembership(deps, { principal: dave, user: ns('dave'), ref: acme })).outcome, 'declined');
  });

  it("a passkey-only member: a website session signed in with it writes; a token's write is approved on the website (npm's web flow)", async () => {
    const tag = (p: Principal) => setDistTag(deps, { principal: p, ref: lib(), tag: 'carol', version: v('1.1.0') });
    await assert.rejects(tag(carol), (error: { code?: string; details?: Record<string, unknown> }) => {
      assert.equal(error.code, 'OTP_REQUIRED');
      assert.equal(error.details?.webApproval, true, 'the edge adds authUrl and doneUrl');
      return true;
    });
    const carolSession: Principal = { ...carol, scope: 'session', secondFactor: true };
    const id = await startWriteApproval(deps, { userId: carol.userId });
    assert.equal(await pollWriteApproval(deps, { id }), 'pending');
    await assert.rejects(approveWrite(deps, { principal: { ...carol, scope: 'session' }, id }), { code: 'OTP_REQUIRED' });
    await assert.rejects(approveWrite(deps, { principal: { ...alice, scope: 'session', secondFactor: true }, id }), { code: 'NOT_FOUND' });
    await approveWrite(deps, { principal: carolSession, id });
    const polled = await pollWriteApproval(deps, { id });
    assert.ok(typeof polled === 'object');
    assert.equal(await pollWriteApproval(deps, { id }), undefined, 'handed out once');
    await assert.rejects(tag({ ...alice, otp: presentOtp(deps, alice.userId, polled.code) }), { code: 'OTP_INVALID' }, "not alice's");
    await tag({ ...carol, otp: presentOtp(deps, carol.userId, polled.code) });
    await assert.rejects(tag({ ...carol, otp: presentOtp(deps, carol.userId, polled.code) }), { code: 'OTP_INVALID' }, 'once');
    await assert.rejects(tag({ ...carol, scope: 'session' }), { code: 'OTP_REQUIRED' }, 'a session not signed in with it');
    await tag({ ...carol, scope: 'session', secondFactor: true });
  });

  it('automation tokens skip the second factor, for member changes too', async () => {
    const ci: Principal = { ...alice, automation: true };
    await setDistTag(deps, { principal: ci, ref: lib(), tag: 'ci', version: v('1.1.0') });
    await createTeam(deps, { principal: ci, ref: acme, team: 'ci-made' });
  });
});
