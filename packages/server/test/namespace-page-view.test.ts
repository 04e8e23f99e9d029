import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PackageDocument } from '@entropic/types';
import { type NamespacePageModel, namespacePage } from '../src/www/views/namespace-page.ts';

const doc = (name: string, latest?: string): PackageDocument => ({
  name,
  owner: name.split('/')[0] as string,
  yanked: false,
  require_tfa: false,
  created: '2026-01-01T00:00:00.000Z',
  modified: '2026-01-01T00:00:00.000Z',
  versions: latest ? { [latest]: 'sha512-x' } : {},
  tags: latest ? { latest } : {},
});

const model = (overrides: Partial<NamespacePageModel> = {}): NamespacePageModel => ({
  label: 'acme@registry.test',
  kind: 'org',
  viewer: undefined,
  membership: undefined,
  members: ['alice', 'bob'],
  maintained: { packages: [doc('acme@registry.test/rocket', '1.2.3')], more: false },
  invitedTo: [doc('alice@registry.test/%40scoped%2Fboat')],
  csrfToken: '',
  inviteUser: '',
  requiresSecondFactor: false,
  private: false,
  teams: undefined,
  ...overrides,
});

describe('namespace page view (model → HTML, no HTTP)', () => {
  it('shows members, packages and invitations to anyone, without forms', () => {
    const page = namespacePage(model()).value;
    assert.match(page, /<p class="muted">organisation<\/p>/);
    assert.match(page, /data-member="alice"/);
    assert.match(page, /data-package="acme@registry.test\/rocket"/);
    assert.match(page, /latest 1\.2\.3/);
    assert.match(page, /data-package-invitation="alice@registry.test\/%40scoped%2Fboat"/);
    assert.doesNotMatch(page, /<form/);
    assert.doesNotMatch(page, /and more…/);
  });

  it('gives an accepted member the forms, each with the CSRF token, and escapes what the user typed', () => {
    const page = namespacePage(
      model({ viewer: 'alice', membership: { accepted: true }, csrfToken: 'tok123', inviteUser: '"><script>' }),
    ).value;
    const forms = page.match(/<form /g) ?? [];
    assert.equal(
      forms.length,
      7,
      'leave, remove bob, invite, require a second factor, make private, accept and decline the package invitation',
    );
    assert.equal((page.match(/name="_csrf" value="tok123"/g) ?? []).length, forms.length);
    assert.match(page, /<a href="\/www\/users\/alice"><strong>alice<\/strong><\/a> <span class="muted">\(you\)<\/span>/);
    assert.match(page, /aria-label="Leave acme@registry.test"/);
    assert.match(page, /aria-label="Remove bob from acme@registry.test"/);
    assert.match(page, /value="&quot;&gt;&lt;script&gt;"/);
    assert.doesNotMatch(page, /"><script>/);
    // the package invitation's buttons carry the two URL segments, the name decoded
    assert.match(page, /name="pkgnamespace" value="alice@registry.test"/);
    assert.match(page, /name="pkgname" value="@scoped\/boat"/);
    assert.match(page, /action="\/www\/namespaces\/acme%40registry.test"/);
  });

  it('offers an invited viewer accept and decline, and nothing else', () => {
    const page = namespacePage(model({ viewer: 'carol', membership: { accepted: false }, csrfToken: 't' })).value;
    assert.match(page, /You are invited/);
    assert.match(page, /aria-label="Accept the invitation to join acme@registry.test"/);
    assert.match(page, /aria-label="Decline the invitation to join acme@registry.test"/);
    assert.equal((page.match(/<form /g) ?? []).length, 2);
  });

  it('says when there is nothing to list, and when there is more', () => {
    const empty = namespacePage(model({ members: [], maintained: { packages: [], more: false }, invitedTo: [] })).value;
    assert.match(empty, /No members\./);
    assert.match(empty, /acme@registry.test maintains no packages yet\./);
    assert.match(empty, /<p class="muted">None\.<\/p>/);
    assert.match(namespacePage(model({ maintained: { packages: [doc('acme@registry.test/a')], more: true } })).value, /and more…/);
    const paged = namespacePage(model({ maintained: { packages: [doc('acme@registry.test/a')], more: true, next: 'k1:c' } })).value;
    assert.match(paged, /<a rel="next" href="\/www\/namespaces\/acme%40registry.test\?cursor=k1%3Ac">Next page<\/a>/);
    assert.match(paged, /<a href="\/www\/packages\/acme@registry.test\/a"><strong>/);
    assert.match(namespacePage(model({ kind: 'user' })).value, /user namespace/);
  });

  it('says whether the namespace is private; members get the toggle and see teams with members and grants', () => {
    const outsider = namespacePage(model({ private: true })).value;
    assert.match(outsider, /data-testid="namespace-visibility"><strong>Private<\/strong>/);
    assert.doesNotMatch(outsider, /name="action" value="visibility"/);
    assert.doesNotMatch(outsider, /<h2>Teams<\/h2>/);
    const member = namespacePage(
      model({
        viewer: 'alice',
        membership: { accepted: true },
        csrfToken: 'tok',
        teams: [
          {
            name: 'devs',
            namespace: 'acme@registry.test',
            description: 'the developers',
            created: '2026-01-01T00:00:00.000Z',
            members: ['bob'],
            grants: [
              { package: 'acme@registry.test/rocket', permission: 'write' },
              { package: null, permission: 'read' },
            ],
          },
        ],
      }),
    ).value;
    assert.match(member, /name="action" value="visibility">\s*<input type="hidden" name="private" value="on">/);
    assert.match(member, /Make the namespace private/);
    assert.match(member, /data-team="devs"/);
    assert.match(member, /acme:devs<\/strong> <span class="muted">· the developers/);
    assert.match(member, /<a href="\/www\/users\/bob">bob<\/a>/);
    assert.match(member, /write on <a href="\/www\/packages\/acme@registry.test\/rocket">/);
    assert.match(member, /read on every package of acme@registry.test/);
    assert.match(member, /href="\/www\/packages\/acme@registry.test\/rocket\/access"/);
    // the team forms, each with the CSRF token
    for (const action of ['team-create', 'team-add', 'team-rm', 'team-grant', 'team-revoke', 'team-destroy']) {
      assert.match(member, new RegExp(`name="action" value="${action}"`), action);
    }
    assert.equal((member.match(/<form /g) ?? []).length, (member.match(/name="_csrf" value="tok"/g) ?? []).length);
    assert.match(member, /aria-label="Revoke acme:devs&#39;s grant on acme@registry.test"/);
    assert.match(member, /name="package" value="acme@registry.test\/rocket"/);
    const privateForMember = namespacePage(model({ viewer: 'alice', membership: { accepted: true }, private: true, teams: [] })).value;
    assert.match(privateForMember, /Make the namespace public/);
    assert.match(privateForMember, /No teams\./);
  });
});
