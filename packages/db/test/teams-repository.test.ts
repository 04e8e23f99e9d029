import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { createRepositories, createUnitOfWork, type Database } from '../src/index.ts';
import { insertNamespace } from './support/catalog-fixtures.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

async function insertUser(db: Kysely<Database>, name: string): Promise<number> {
  const row = await db.insertInto('users').values({ name, email: null, password_hash: null }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

const page = (limit: number, after?: { name: string; id: number }) => ({ after, limit });

describe('team repository: members', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  let ns: number;
  let other: number;
  const users: Record<string, number> = {};
  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
    ns = await insertNamespace(t.db, 'acme', 'org');
    other = await insertNamespace(t.db, 'other', 'org');
    for (const name of ['carol', 'alice', 'bob', 'dave']) users[name] = await insertUser(t.db, name);
  });
  after(() => t.close());

  const id = (name: string) => users[name] as number;

  it('addMember inserts once (ON CONFLICT DO NOTHING) and findMembership tells accepted from pending', async () => {
    assert.equal(await repos.teams.addMember(ns, id('alice'), { accepted: true, invitedBy: null }), true);
    assert.equal(await repos.teams.addMember(ns, id('bob'), { accepted: false, invitedBy: id('alice') }), true);
    assert.equal(await repos.teams.addMember(ns, id('bob'), { accepted: true, invitedBy: null }), false, 'an existing row is kept');
    assert.deepEqual(await repos.teams.findMembership(ns, id('alice')), { accepted: true });
    assert.deepEqual(await repos.teams.findMembership(ns, id('bob')), { accepted: false });
    assert.equal(await repos.teams.findMembership(ns, id('carol')), undefined);
    assert.equal(await repos.teams.isAcceptedMember(id('alice'), ns), true);
    assert.equal(await repos.teams.isAcceptedMember(id('bob'), ns), false, 'a pending invitation grants nothing');
    const row = await t.db.selectFrom('namespace_members').selectAll().where('user_id', '=', id('bob')).executeTakeFirstOrThrow();
    assert.equal(row.invited_by, id('alice'));
  });

  it('concurrent invitations of one user insert exactly one row', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => repos.teams.addMember(ns, id('carol'), { accepted: false, invitedBy: id('alice') })),
    );
    assert.equal(results.filter(Boolean).length, 1);
    const rows = await t.db
      .selectFrom('namespace_members')
      .select('user_id')
      .where('namespace_id', '=', ns)
      .where('user_id', '=', id('carol'))
      .execute();
    assert.equal(rows.length, 1);
  });

  it('acceptMembership turns only a pending row into an accepted one, with the time given', async () => {
    const now = new Date('2026-01-02T03:04:05.000Z');
    assert.equal(await repos.teams.acceptMembership(ns, id('bob'), now), true);
    assert.equal(await repos.teams.acceptMembership(ns, id('bob'), now), false, 'already accepted');
    assert.equal(await repos.teams.acceptMembership(ns, id('dave'), now), false, 'never invited');
    assert.deepEqual(await repos.teams.findMembership(ns, id('bob')), { accepted: true });
    const row = await t.db.selectFrom('namespace_members').select('updated_at').where('user_id', '=', id('bob')).executeTakeFirstOrThrow();
    assert.equal(row.updated_at.toISOString(), now.toISOString());
  });

  it('counts accepted members only, and removeMember deletes one row of one namespace', async () => {
    await repos.teams.addMember(other, id('alice'), { accepted: true, invitedBy: null });
    assert.equal(await repos.teams.countAcceptedMembers(ns), 2, 'alice and bob; carol is pending');
    await repos.teams.removeMember(ns, id('bob'));
    assert.equal(await repos.teams.countAcceptedMembers(ns), 1);
    assert.equal(await repos.teams.findMembership(ns, id('bob')), undefined);
    await repos.teams.removeMember(ns, id('bob'));
    assert.deepEqual(await repos.teams.findMembership(other, id('alice')), { accepted: true }, 'other namespaces untouched');
  });

  it('listMembers pages accepted members by (name, id)', async () => {
    for (const name of ['bob', 'dave']) await repos.teams.addMember(ns, id(name), { accepted: true, invitedBy: null });
    const all = await repos.teams.listMembers(ns, page(10));
    assert.deepEqual(
      all.map((row) => row.name),
      ['alice', 'bob', 'dave'],
      'carol is only invited',
    );
    assert.deepEqual(all[0], { id: id('alice'), name: 'alice' });
    const first = await repos.teams.listMembers(ns, page(2));
    assert.deepEqual(
      first.map((row) => row.name),
      ['alice', 'bob'],
    );
    const rest = await repos.teams.listMembers(ns, page(2, first.at(-1)));
    assert.deepEqual(
      rest.map((row) => row.name),
      ['dave'],
    );
  });

  it('listMemberships pages a user’s accepted or pending namespaces by name', async () => {
    const third = await insertNamespace(t.db, 'beta', 'org');
    await repos.teams.addMember(third, id('carol'), { accepted: false, invitedBy: null });
    const pending = await repos.teams.listMemberships(id('carol'), false, page(10));
    assert.deepEqual(pending, [
      { id: ns, name: 'acme', host: null },
      { id: third, name: 'beta', host: null },
    ]);
    assert.deepEqual(await repos.teams.listMemberships(id('carol'), true, page(10)), []);
    const accepted = await repos.teams.listMemberships(id('alice'), true, page(1));
    assert.deepEqual(
      accepted.map((row) => row.name),
      ['acme'],
    );
    const next = await repos.teams.listMemberships(id('alice'), true, page(1, accepted[0]));
    assert.deepEqual(
      next.map((row) => row.name),
      ['other'],
    );
  });

  it('lockNamespace holds the namespace row until the transaction ends', async () => {
    const uow = createUnitOfWork(t.db);
    const order: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const first = uow.transaction(async (tx) => {
      await tx.teams.lockNamespace(ns);
      locked();
      await held;
      order.push('first');
    });
    await isLocked;
    const second = uow.transaction(async (tx) => {
      await tx.teams.lockNamespace(ns);
      order.push('second');
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first', 'second']);
  });
});

describe('team repository: maintainers', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  let alice: number;
  let acme: number;
  let beta: number;
  let gamma: number;
  let pkg: number;
  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
    alice = await insertNamespace(t.db, 'alice');
    acme = await insertNamespace(t.db, 'acme', 'org');
    beta = await insertNamespace(t.db, 'beta', 'org');
    gamma = await insertNamespace(t.db, 'gamma', 'org');
    pkg = (await repos.packages.ensure(alice, 'rocket')).id;
  });
  after(() => t.close());

  it('inviteMaintainer inserts a pending row once; findMaintainership tells accepted from pending', async () => {
    assert.deepEqual(await repos.teams.findMaintainership(pkg, alice), { accepted: true }, 'the owner, from ensure');
    assert.equal(await repos.teams.inviteMaintainer(pkg, acme), true);
    assert.equal(await repos.teams.inviteMaintainer(pkg, acme), false);
    assert.equal(await repos.teams.inviteMaintainer(pkg, alice), false, 'an accepted maintainer stays accepted');
    assert.deepEqual(await repos.teams.findMaintainership(pkg, acme), { accepted: false });
    assert.deepEqual(await repos.teams.findMaintainership(pkg, alice), { accepted: true });
    assert.equal(await repos.teams.findMaintainership(pkg, beta), undefined);
  });

  it('concurrent invitations of one namespace insert exactly one row', async () => {
    const results = await Promise.all(Array.from({ length: 4 }, () => repos.teams.inviteMaintainer(pkg, beta)));
    assert.equal(results.filter(Boolean).length, 1);
  });

  it('acceptMaintainership accepts only a pending row; counts see accepted rows only', async () => {
    const now = new Date('2026-02-03T04:05:06.000Z');
    assert.equal(await repos.teams.countAcceptedMaintainers(pkg), 1);
    assert.equal(await repos.teams.acceptMaintainership(pkg, acme, now), true);
    assert.equal(await repos.teams.acceptMaintainership(pkg, acme, now), false);
    assert.equal(await repos.teams.acceptMaintainership(pkg, gamma, now), false, 'never invited');
    assert.equal(await repos.teams.countAcceptedMaintainers(pkg), 2);
    const row = await t.db
      .selectFrom('package_maintainers')
      .select('updated_at')
      .where('package_id', '=', pkg)
      .where('namespace_id', '=', acme)
      .executeTakeFirstOrThrow();
    assert.equal(row.updated_at.toISOString(), now.toISOString());
  });

  it('isMaintainer needs an accepted member of an accepted maintainer namespace', async () => {
    const user = (
      await t.db.insertInto('users').values({ name: 'zed', email: null, password_hash: null }).returning('id').executeTakeFirstOrThrow()
    ).id;
    assert.equal(await repos.teams.isMaintainer(user, pkg), false);
    await repos.teams.addMember(beta, user, { accepted: true, invitedBy: null });
    assert.equal(await repos.teams.isMaintainer(user, pkg), false, 'beta is only invited');
    await repos.teams.addMember(acme, user, { accepted: false, invitedBy: null });
    assert.equal(await repos.teams.isMaintainer(user, pkg), false, 'an invitation into acme grants nothing');
    await repos.teams.acceptMembership(acme, user, new Date());
    assert.equal(await repos.teams.isMaintainer(user, pkg), true);
  });

  it('listMaintainers pages accepted or pending maintainer namespaces by name', async () => {
    assert.deepEqual(await repos.teams.listMaintainers(pkg, true, page(10)), [
      { id: acme, name: 'acme', host: null },
      { id: alice, name: 'alice', host: null },
    ]);
    assert.deepEqual(await repos.teams.listMaintainers(pkg, false, page(10)), [{ id: beta, name: 'beta', host: null }]);
    const first = await repos.teams.listMaintainers(pkg, true, page(1));
    assert.deepEqual(
      first.map((row) => row.name),
      ['acme'],
    );
    assert.deepEqual(
      (await repos.teams.listMaintainers(pkg, true, page(1, first[0]))).map((row) => row.name),
      ['alice'],
    );
    assert.deepEqual(await repos.teams.listMaintainers(pkg, true, page(1, { name: 'alice', id: alice })), []);
  });

  it('removeMaintainer deletes one row', async () => {
    await repos.teams.removeMaintainer(pkg, beta);
    assert.equal(await repos.teams.findMaintainership(pkg, beta), undefined);
    assert.equal(await repos.teams.countAcceptedMaintainers(pkg), 2);
  });

  it('lockPackage holds the package row until the transaction ends (PGlite runs transactions one at a time anyway)', async () => {
    const uow = createUnitOfWork(t.db);
    const order: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const first = uow.transaction(async (tx) => {
      await tx.teams.lockPackage(pkg);
      locked();
      await held;
      order.push('first');
    });
    await isLocked;
    const second = uow.transaction(async (tx) => {
      await tx.teams.lockPackage(pkg);
      order.push('second');
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first', 'second']);
  });
});
