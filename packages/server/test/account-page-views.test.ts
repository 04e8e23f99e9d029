import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliLoginPage, cliLoginTitle } from '../src/www/views/cli-login-page.ts';
import { linkPage } from '../src/www/views/link-page.ts';
import { loginPage } from '../src/www/views/login-page.ts';
import { signupPage } from '../src/www/views/signup-page.ts';
import { tokensPage } from '../src/www/views/tokens-page.ts';

const CSRF = 'c'.repeat(43);
const csrfInputs = (page: string) => page.match(/<input type="hidden" name="_csrf" value="([^"]*)">/g) ?? [];

describe('account page views (model → HTML, no HTTP)', () => {
  it('loginPage: a button per provider, the password form only with local accounts, a hint when nothing is enabled', () => {
    const providers = [
      { id: 'github', label: 'GitHub' },
      { id: 'oidc', label: 'Example <SSO>' },
    ];
    const both = loginPage({ providers, passwordForm: { csrfToken: CSRF, username: '"><script>' } }).value;
    assert.match(both, /href="\/www\/login\/providers\/github">Continue with GitHub</);
    assert.match(both, /Continue with Example &lt;SSO&gt;/);
    assert.match(both, /or with a password/);
    assert.match(both, /value="&quot;&gt;&lt;script&gt;"/);
    assert.doesNotMatch(both, /<script>/);
    assert.deepEqual(csrfInputs(both), [`<input type="hidden" name="_csrf" value="${CSRF}">`]);

    const providersOnly = loginPage({ providers, passwordForm: undefined }).value;
    assert.doesNotMatch(providersOnly, /<form|or with a password|No sign-in method/);

    const passwordOnly = loginPage({ providers: [], passwordForm: { csrfToken: CSRF, username: '' } }).value;
    assert.doesNotMatch(passwordOnly, /class="providers"|or with a password/);
    assert.match(passwordOnly, /<form method="post" action="\/www\/login"/);

    assert.match(loginPage({ providers: [], passwordForm: undefined }).value, /No sign-in method is enabled/);
  });

  it('signupPage: password fields for a local account, none for a provider identity; values escaped', () => {
    const local = signupPage({ csrfToken: CSRF, username: 'al<i>ce', email: 'a@b', withProvider: false }).value;
    assert.match(local, /name="password"/);
    assert.match(local, /name="password2"/);
    assert.match(local, /Already have an account\?/);
    assert.match(local, /value="al&lt;i&gt;ce"/);
    assert.match(local, /<code>al&lt;i&gt;ce\/…<\/code>/);
    assert.equal(csrfInputs(local).length, 1);

    const provider = signupPage({ csrfToken: CSRF, username: '', email: '', withProvider: true }).value;
    assert.doesNotMatch(provider, /name="password"|Already have an account/);
    assert.match(provider, /<code>name\/…<\/code>/);
  });

  it('tokensPage: the new token once, the form as last sent, a revoke form per token with the CSRF token', () => {
    const tokens = [
      {
        id: '11111111-1111-4111-8111-111111111111',
        description: 'laptop <b>',
        scope: 'read' as const,
        created: '2030-01-02T03:04:05.000Z',
        lastUsed: null,
        expires: '2031-01-02T03:04:05.000Z',
        prefix: 'ent_v1_ab12',
        namespaces: [],
        packages: [],
        cidrs: [],
        automation: false,
      },
    ];
    const page = tokensPage({
      host: 'registry.test',
      csrfToken: CSRF,
      tokens,
      created: 'ent_v1_secret',
      form: { description: 'ci', scope: 'read', expires: '365' },
    }).value;
    assert.match(page, /data-testid="new-token">ent_v1_secret</);
    assert.match(page, /npm config set \/\/registry.test\/:_authToken/);
    assert.match(page, /<strong>laptop &lt;b&gt;<\/strong> <span class="muted">· read<\/span>/);
    assert.match(page, /created <time datetime="2030-01-02T03:04:05.000Z">2030-01-02 03:04 UTC<\/time>/);
    assert.match(page, /last used <span>never<\/span>/);
    assert.match(page, /<option value="read" selected>/);
    assert.match(page, /<option value="365" selected>one year<\/option>/);
    assert.match(page, /value="ci"/);
    assert.equal(csrfInputs(page).length, 2, 'the create form and one revoke form');

    const empty = tokensPage({ host: 'registry.test', csrfToken: CSRF, tokens: [], created: undefined, form: {} }).value;
    assert.doesNotMatch(empty, /new-token/);
    assert.match(empty, /No tokens yet\./);
    assert.match(empty, /<option value="publish" selected>/);
    assert.match(empty, /<option value="90" selected>90 days<\/option>/);
  });

  it('tokensPage: a granular token shows its limits and prefix; the limits form keeps what was sent', () => {
    const page = tokensPage({
      host: 'registry.test',
      csrfToken: CSRF,
      tokens: [
        {
          id: '00000000-0000-4000-8000-000000000001',
          description: 'ci',
          scope: 'publish' as const,
          created: '2030-01-02T03:04:05.000Z',
          lastUsed: null,
          expires: null,
          prefix: 'ent_v1_ab12',
          namespaces: ['acme'],
          packages: ['tools/cli'],
          cidrs: ['10.0.0.0/8'],
          automation: true,
        },
      ],
      created: undefined,
      form: { namespaces: 'acme', cidrs: '10.0.0.0/8', automation: 'on' },
    }).value;
    assert.match(
      page,
      /· publish · only acme\/\*, tools\/cli · from 10\.0\.0\.0\/8 · automation<\/span> <code class="muted">ent_v1_ab12…<\/code>/,
    );
    assert.match(page, /<details open>/);
    assert.match(page, /id="namespaces" name="namespaces" type="text" placeholder="acme, tools" value="acme"/);
    assert.match(page, /name="automation" type="checkbox" value="on" checked/);
  });

  it('cliLoginPage: names the client host and the user, confirm and cancel in one form', () => {
    const page = cliLoginPage({ csrfToken: CSRF, username: 'alice', hostname: 'box <1>' }).value;
    assert.match(page, /the command-line client on “box &lt;1&gt;” as <strong>alice<\/strong>/);
    assert.match(page, /value="confirm">Log in</);
    assert.match(page, /value="cancel">Cancel</);
    assert.equal(csrfInputs(page).length, 1);
    assert.match(cliLoginPage({ csrfToken: CSRF, username: 'alice', hostname: '' }).value, /\(npm or ds\) that sent you here/);
    assert.equal(cliLoginTitle('box'), 'Log in box?');
    assert.equal(cliLoginTitle(''), 'Log in the command line?');
  });

  it('linkPage: one escaped link', () => {
    assert.equal(linkPage({ href: '/www/tokens', text: 'Your <tokens>' }).value, '<p><a href="/www/tokens">Your &lt;tokens&gt;</a></p>');
  });
});
