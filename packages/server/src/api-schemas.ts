/**
 * The registry API's route schemas (`../shared/spec/API.md` §3), by `METHOD url` as the routes
 * are registered: `plugins/api-description.ts` attaches each to its route, and @fastify/swagger
 * builds `/-/openapi.json` from them. They describe; the handlers validate (typed ids parsed at the
 * edge, each failure a catalogue code), so a schema never answers in place of a handler. A test
 * checks that every entry names a registered route and that the document is valid OpenAPI 3.
 */

type Schema = Record<string, unknown>;

const str = (description?: string): Schema => ({ type: 'string', ...(description ? { description } : {}) });
const map = (description: string): Schema => ({ type: 'object', additionalProperties: { type: 'string' }, description });
const object = (properties: Record<string, Schema>, required: string[] = Object.keys(properties), description?: string): Schema => ({
  type: 'object',
  properties,
  required,
  ...(description ? { description } : {}),
});

const ADVISORY = object(
  {
    id: { type: 'integer' },
    title: str(),
    severity: { type: 'string', enum: ['info', 'low', 'moderate', 'high', 'critical'] },
    vulnerable_versions: str('a semver range: the affected versions'),
    patched_versions: { type: ['string', 'null'], description: 'a semver range: the fixed versions' },
    url: { type: ['string', 'null'] },
    cwe: { type: 'array', items: str() },
    cvss: {
      type: ['object', 'null'],
      properties: { score: { type: 'number' }, vectorString: { type: ['string', 'null'] } },
    },
    created: { type: 'string', format: 'date-time' },
  },
  undefined,
  'A security advisory of a local package',
);

const ERROR = object(
  { message: str('human text'), code: str('a stable code from docs/errors.md, e.g. PACKAGE_NOT_FOUND'), hint: str('what to do about it') },
  ['message', 'code'],
  'An error: its `code` is one of docs/errors.md',
);
const error = (description: string): Schema => ({ ...ERROR, description });

const PACKAGE = object(
  {
    name: str('ns@host/name'),
    owner: str('ns@host'),
    yanked: { type: 'boolean' },
    require_tfa: { type: 'boolean' },
    created: { type: 'string', format: 'date-time' },
    modified: { type: 'string', format: 'date-time' },
    versions: map('version → integrity of its canonical version document (non-yanked versions only)'),
    tags: map('tag → version'),
    deprecated: map('deprecated versions → message (absent when none is)'),
  },
  ['name', 'owner', 'yanked', 'require_tfa', 'created', 'modified', 'versions', 'tags'],
  'A package document (API.md §4)',
);
const DEPENDENCIES = map('name → semver range');
const VERSION = object(
  {
    name: str('ns@host/name'),
    version: str(),
    integrity: str('sha512-… of the canonical version document'),
    yanked: { type: 'boolean' },
    deprecated: str("npm's deprecation message"),
    files: map('./package/<path> → integrity'),
    derivedFiles: map('./readme.html → integrity'),
    dependencies: DEPENDENCIES,
    devDependencies: DEPENDENCIES,
    peerDependencies: DEPENDENCIES,
    optionalDependencies: DEPENDENCIES,
    bundledDependencies: DEPENDENCIES,
    signatures: { type: 'array', items: { type: 'string' } },
    created: { type: 'string', format: 'date-time' },
    modified: { type: 'string', format: 'date-time' },
  },
  ['name', 'version', 'integrity', 'yanked', 'files', 'derivedFiles', 'dependencies', 'signatures', 'created', 'modified'],
  'A version document (API.md §5)',
);
const page = (items: Schema, description: string): Schema =>
  object(
    { objects: { type: 'array', items }, next: { type: ['string', 'null'], description: 'cursor of the next page' } },
    undefined,
    description,
  );
const MESSAGE = { ...object({ message: str() }), additionalProperties: true, description: 'What changed (or that nothing had to)' };
const EMPTY = { type: 'null', description: 'No content' };
const TRUSTED_PUBLISHER = object(
  { id: str(), issuer: str(), claims: map('claim → exact value'), createdBy: str('the maintainer who added it'), created: str() },
  undefined,
  'A CI identity allowed to publish the package',
);

const params = (names: Record<string, string>): Schema =>
  object(Object.fromEntries(Object.entries(names).map(([name, description]) => [name, str(description)])));
const NAMESPACE = 'namespace, or namespace@host';
const PACKAGE_PARAMS = { namespace: NAMESPACE, name: 'package name' };
const LIST_QUERY = object(
  { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, cursor: str('`next` of the previous page') },
  [],
);
const STATUS_QUERY = object({ ...(LIST_QUERY.properties as Record<string, Schema>), status: { type: 'string', enum: ['pending'] } }, []);

const AUDIT_ENTRY = object(
  {
    id: str(),
    at: str('ISO 8601'),
    actor: str('username (or the name tried, for a failed sign-in)'),
    action: str('sign-in, sign-in-failed, second-factor-enabled, token-created, publish, yank, tag-set, member-invited, …'),
    namespace: str(),
    package: str(),
    address: str('client address'),
    details: { type: 'object' },
  },
  ['id', 'at', 'actor', 'action', 'details'],
);
const AUDIT_QUERY = object(
  { ...(LIST_QUERY.properties as Record<string, Schema>), format: { type: 'string', enum: ['json', 'jsonl'] } },
  [],
);
const SECOND_FACTOR_SETTING = object({ namespace: str(), required: { type: 'boolean' } });

const BEARER = [{ bearer: [] }];
const read = (tags: string[], summary: string, response: Schema, extra: Schema = {}): Schema => ({
  tags,
  summary,
  ...extra,
  response: { 200: response, 400: error('Invalid input'), 404: error('Not found') },
});
const write = (tags: string[], summary: string, responses: Record<number, Schema>, extra: Schema = {}): Schema => ({
  tags,
  summary,
  security: BEARER,
  ...extra,
  response: {
    ...responses,
    400: error('Invalid input'),
    401: error('No or invalid bearer token'),
    403: error('Not allowed'),
    404: error('Not found'),
  },
});

const pkg = '/packages/package/:namespace/:name';
const VISIBILITY = object(
  {
    private: { type: 'boolean', description: 'reads need read access (the package or its namespace is private)' },
    package_private: { type: 'boolean', description: "the package's own setting" },
    namespace_private: { type: 'boolean', description: "its namespace's setting" },
  },
  ['private', 'package_private', 'namespace_private'],
  'A package visibility',
);
const ns = '/namespaces/namespace/:namespace';
const VERSION_PARAMS = params({ ...PACKAGE_PARAMS, version: 'canonical semver' });
const TAG_PARAMS = params({ ...PACKAGE_PARAMS, tag: 'dist-tag' });

export const API_SCHEMAS: Record<string, Schema> = {
  'GET /ping': {
    tags: ['meta'],
    summary: 'Liveness',
    response: { 200: { description: 'pong', content: { 'text/plain': { schema: { type: 'string' } } } } },
  },
  'GET /': read(
    ['meta'],
    'The server and its host (a browser asking for HTML is redirected to /www/)',
    object({ server: str(), version: str(), host: str() }),
  ),
  'GET /-/v1/host': read(
    ['meta', 'federation'],
    "This host's identity: its host string, URL, signing keys (docs/federation.md) and API paths",
    object({
      host: str(),
      url: str(),
      server: str(),
      version: str(),
      keys: { type: 'array', items: { type: 'object', description: 'keyid, keytype, scheme, key (SPKI DER, base64), notBefore, expires' } },
      signing: { type: ['string', 'null'], description: 'the key id signing now' },
      peers: {
        type: 'array',
        description: 'the hosts of FEDERATION_HOSTS: host, url, and the keys this registry pinned for it (how `ds` learns them)',
        items: { type: 'object', additionalProperties: true },
      },
      api: map('what → path template'),
    }),
  ),
  'GET /-/npm/v1/keys': read(
    ['npm', 'federation'],
    "The host's signing keys in npm's shape (`npm audit signatures` checks `dist.signatures` with them)",
    object({ keys: { type: 'array', items: { type: 'object', description: 'expires, keyid, keytype, scheme, key' } } }),
  ),
  'GET /-/ready': {
    tags: ['meta'],
    summary: 'Readiness: each backing service answers within 2 s',
    response: {
      200: object({ ready: { type: 'boolean' }, services: map('service → up | down') }),
      503: { ...object({ ready: { type: 'boolean' }, services: map('service → up | down') }), description: 'A service is down' },
    },
  },
  'GET /metrics': {
    tags: ['meta'],
    summary: "This process's Prometheus metrics (bearer METRICS_TOKEN when set; docs/operations.md)",
    response: {
      200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
      401: error('METRICS_TOKEN is set and the request did not send it'),
    },
  },
  'GET /auth/whoami': write(['auth'], 'Who the bearer token belongs to', { 200: object({ username: str() }) }),
  'GET /-/whoami': write(['auth', 'npm'], 'Who the bearer token belongs to (npm whoami)', { 200: object({ username: str() }) }),
  'GET /auth/tokens': write(['auth'], "The caller's tokens", { 200: page({ type: 'object' }, 'Token descriptions (never the token)') }),
  'POST /auth/tokens': write(
    ['auth'],
    'Create a token (shown once)',
    { 201: { ...object({ token: str('ent_v1_…') }), additionalProperties: true } },
    {
      body: object(
        {
          description: str(),
          scope: { type: 'string', enum: ['read', 'publish'], default: 'publish' },
          expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 },
          namespaces: { type: 'array', items: str(), description: 'limit to these namespaces of this registry (docs/tokens.md)' },
          packages: { type: 'array', items: str(), description: 'limit to these packages (namespace/name)' },
          cidrs: { type: 'array', items: str(), description: 'accept the token only from these address blocks' },
          automation: { type: 'boolean', description: 'a CI token: skips the interactive second factor, nothing else' },
        },
        [],
      ),
    },
  ),
  'DELETE /auth/tokens/:id': write(['auth'], 'Revoke a token', { 204: EMPTY }, { params: params({ id: 'token id' }) }),
  'POST /-/v1/login': read(['auth', 'npm'], 'Start a CLI / npm web login (API.md §7)', object({ loginUrl: str(), doneUrl: str() }), {
    body: object({ hostname: str() }, []),
  }),
  'GET /-/v1/login/poll/:session': {
    ...read(['auth', 'npm'], 'Poll a CLI login: 202 while pending, the token exactly once', object({ token: str('ent_v1_…') }), {
      params: params({ session: 'login session id' }),
    }),
    response: {
      200: object({ token: str('ent_v1_…') }),
      202: { type: 'object', description: 'Pending: poll again after Retry-After' },
      400: error('Malformed session id'),
      404: error('Unknown, expired or already delivered'),
    },
  },
  'GET /-/v1/second-factor/poll/:id': {
    ...read(
      ['auth', 'npm'],
      "Poll a write's approval on the website (npm's web second-factor flow, for passkeys): 202 while pending, the one-time code exactly once",
      object({ token: str('ent_approve_…') }),
      { params: params({ id: 'approval id (from an OTP_REQUIRED body’s doneUrl)' }) },
    ),
    response: {
      200: object({ token: str('ent_approve_…') }),
      202: { type: 'object', description: 'Pending: poll again after Retry-After' },
      404: error('Unknown, expired or already delivered'),
    },
  },
  'GET /packages': read(['packages'], 'All non-yanked packages', page(PACKAGE, 'A page of package documents'), { querystring: LIST_QUERY }),
  'GET /packages/authored-by/:namespace': read(
    ['packages'],
    'Packages owned by a namespace',
    page(PACKAGE, 'A page of package documents'),
    {
      params: params({ namespace: NAMESPACE }),
      querystring: LIST_QUERY,
    },
  ),
  'GET /packages/maintained-by/:namespace': read(
    ['packages'],
    'Packages a namespace maintains',
    page(PACKAGE, 'A page of package documents'),
    {
      params: params({ namespace: NAMESPACE }),
      querystring: STATUS_QUERY,
    },
  ),
  [`GET ${pkg}`]: read(['packages'], 'A package document (strong ETag; If-None-Match → 304)', PACKAGE, { params: params(PACKAGE_PARAMS) }),
  [`PUT ${pkg}`]: write(
    ['packages'],
    'Create a package (201) or update its settings (200)',
    { 200: PACKAGE, 201: PACKAGE },
    { params: params(PACKAGE_PARAMS), body: object({ require_tfa: { type: 'boolean' } }, []) },
  ),
  [`DELETE ${pkg}`]: write(
    ['packages'],
    'Abandon a package: every version yanked, maintainers replaced by abandonware',
    { 204: EMPTY },
    {
      params: params(PACKAGE_PARAMS),
    },
  ),
  [`GET ${pkg}/versions`]: read(['versions'], 'version → integrity, non-yanked versions', map('version → integrity'), {
    params: params(PACKAGE_PARAMS),
  }),
  [`GET ${pkg}/versions/:version`]: read(['versions'], 'A version document (also of a yanked version)', VERSION, {
    params: VERSION_PARAMS,
  }),
  [`PUT ${pkg}/versions/:version`]: write(
    ['versions'],
    'Publish a version (multipart/form-data, optionally gzip or deflate; API.md §5)',
    {
      201: VERSION,
      409: error('The version exists (also when yanked)'),
      413: error('Over a limit'),
      415: error('Not multipart/form-data'),
    },
    {
      params: VERSION_PARAMS,
      body: {
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              description:
                'One file part per file, named encodeURIComponent("package/" + path); text fields as below (dependency maps as JSON)',
              properties: {
                dependencies: str('JSON object: name → range'),
                devDependencies: str('JSON object'),
                peerDependencies: str('JSON object'),
                optionalDependencies: str('JSON object'),
                bundledDependencies: str('JSON array or object'),
                tag: str('dist-tag to move (default latest)'),
                signature: { type: 'array', items: { type: 'string' } },
                'entry[]': { type: 'array', items: { type: 'string', format: 'binary' } },
              },
            },
          },
        },
      },
    },
  ),
  [`DELETE ${pkg}/versions/:version`]: write(['versions'], 'Yank a version', { 204: EMPTY }, { params: VERSION_PARAMS }),
  [`GET ${pkg}/access`]: read(['packages'], 'Whether the package is private (issue 9; docs/private-packages.md)', VISIBILITY, {
    params: params(PACKAGE_PARAMS),
  }),
  [`PUT ${pkg}/access`]: write(
    ['packages'],
    'Make the package private or public (a maintainer)',
    { 200: VISIBILITY, 409: error('NAMESPACE_IS_PRIVATE: a package of a private namespace cannot be made public alone') },
    { params: params(PACKAGE_PARAMS), body: object({ private: { type: 'boolean' } }) },
  ),
  [`GET ${ns}/release-age`]: read(
    ['namespaces'],
    "The namespace's release-age quarantine in hours (null: the operator's MIN_RELEASE_AGE_HOURS alone)",
    object({ hours: { type: ['integer', 'null'] } }),
    { params: params({ namespace: NAMESPACE }) },
  ),
  [`PUT ${ns}/release-age`]: write(
    ['namespaces'],
    'Set the namespace release-age quarantine: its versions are kept from ranges and latest until this old (an accepted member)',
    { 200: object({ hours: { type: ['integer', 'null'] } }) },
    { params: params({ namespace: NAMESPACE }), body: object({ hours: { type: ['integer', 'null'] } }) },
  ),
  [`GET ${ns}/access`]: read(['namespaces'], 'Whether the namespace is private', object({ private: { type: 'boolean' } }), {
    params: params({ namespace: NAMESPACE }),
  }),
  [`PUT ${ns}/access`]: write(
    ['namespaces'],
    'Make the namespace (and so every package in it) private or public (an accepted member)',
    { 200: object({ private: { type: 'boolean' } }) },
    { params: params({ namespace: NAMESPACE }), body: object({ private: { type: 'boolean' } }) },
  ),
  [`GET ${pkg}/advisories`]: read(
    ['security'],
    "The package's security advisories, newest first (issue 10.4)",
    { type: 'array', items: ADVISORY },
    {
      params: params(PACKAGE_PARAMS),
    },
  ),
  [`POST ${pkg}/advisories`]: write(
    ['security'],
    'Publish a security advisory (a maintainer; npm audit and ds audit report it)',
    { 201: ADVISORY },
    {
      params: params(PACKAGE_PARAMS),
      body: object(
        {
          title: str(),
          severity: { type: 'string', enum: ['info', 'low', 'moderate', 'high', 'critical'] },
          vulnerable_versions: str('a semver range'),
          patched_versions: str('a semver range'),
          url: str(),
          cwe: { type: 'array', items: str('CWE-<n>') },
          cvss: object({ score: { type: 'number' }, vectorString: str() }, ['score']),
        },
        ['title', 'severity', 'vulnerable_versions'],
      ),
    },
  ),
  [`DELETE ${pkg}/advisories/:id`]: write(
    ['security'],
    'Withdraw a security advisory (a maintainer)',
    { 204: EMPTY },
    {
      params: params({ ...PACKAGE_PARAMS, id: 'the advisory id' }),
    },
  ),
  [`GET ${pkg}/dist-tags`]: read(['versions'], 'tag → version', map('tag → version'), { params: params(PACKAGE_PARAMS) }),
  [`PUT ${pkg}/dist-tags/:tag`]: write(
    ['versions'],
    'Point a tag at a version',
    { 200: map('tag → version') },
    {
      params: TAG_PARAMS,
      body: object({ version: str() }),
    },
  ),
  [`DELETE ${pkg}/dist-tags/:tag`]: write(['versions'], 'Delete a tag (not latest)', { 204: EMPTY }, { params: TAG_PARAMS }),
  [`GET ${pkg}/maintainers`]: read(['teams'], 'Maintainer namespaces', page(str(), 'A page of namespace names'), {
    params: params(PACKAGE_PARAMS),
    querystring: STATUS_QUERY,
  }),
  [`POST ${pkg}/maintainers/:invitee`]: write(
    ['teams'],
    'Invite a namespace to maintain the package',
    { 200: MESSAGE },
    {
      params: params({ ...PACKAGE_PARAMS, invitee: 'namespace' }),
    },
  ),
  [`DELETE ${pkg}/maintainers/:invitee`]: write(
    ['teams'],
    'Remove a maintainer (never the last)',
    { 200: MESSAGE },
    {
      params: params({ ...PACKAGE_PARAMS, invitee: 'namespace' }),
    },
  ),
  [`GET ${pkg}/trusted-publishers`]: read(
    ['packages'],
    'The CI identities (OpenID Connect issuer and claims) allowed to publish the package (a maintainer)',
    object({ objects: { type: 'array', items: TRUSTED_PUBLISHER } }),
    { params: params(PACKAGE_PARAMS) },
  ),
  [`POST ${pkg}/trusted-publishers`]: write(
    ['packages'],
    'Add a trusted publisher: CI exchanges its id token at /-/npm/v1/oidc/token/exchange/package/<name> (a maintainer)',
    { 201: TRUSTED_PUBLISHER },
    {
      params: params(PACKAGE_PARAMS),
      body: object({ issuer: str('an issuer of TRUSTED_PUBLISHING_ISSUERS'), claims: map('claim → exact value') }),
    },
  ),
  [`DELETE ${pkg}/trusted-publishers/:id`]: write(
    ['packages'],
    'Remove a trusted publisher; the tokens exchanged for it stop working',
    { 200: object({ ok: { type: 'boolean' } }) },
    { params: params({ ...PACKAGE_PARAMS, id: 'the trusted publisher id' }) },
  ),
  'GET /namespaces': read(['teams'], 'Namespaces on this host', page(str(), 'A page of namespace names'), { querystring: LIST_QUERY }),
  [`PUT ${ns}`]: write(
    ['teams'],
    'Create a namespace (an organisation) with the caller as its first member',
    { 201: { type: 'object' } },
    {
      params: params({ namespace: 'namespace' }),
    },
  ),
  'GET /auth/audit': write(
    ['security'],
    "The caller's own audit log, newest first (`format=jsonl`: JSON lines, for export)",
    { 200: page(AUDIT_ENTRY, 'Audit entries') },
    { querystring: AUDIT_QUERY },
  ),
  [`GET ${ns}/audit`]: write(
    ['security'],
    "A namespace's audit log, for its members (`format=jsonl`: JSON lines)",
    { 200: page(AUDIT_ENTRY, 'Audit entries') },
    {
      params: params({ namespace: NAMESPACE }),
      querystring: AUDIT_QUERY,
    },
  ),
  [`GET ${ns}/second-factor`]: read(['security'], 'Whether writes in the namespace need a second factor', SECOND_FACTOR_SETTING, {
    params: params({ namespace: NAMESPACE }),
  }),
  [`PUT ${ns}/second-factor`]: write(
    ['security'],
    'Require (or stop requiring) a second factor for writes in the namespace (a member with a second factor; send `npm-otp`)',
    { 200: SECOND_FACTOR_SETTING },
    {
      params: params({ namespace: NAMESPACE }),
      body: object({ required: { type: 'boolean' } }),
    },
  ),
  [`GET ${ns}/members`]: read(['teams'], 'Accepted members', page(str(), 'A page of usernames'), {
    params: params({ namespace: NAMESPACE }),
    querystring: LIST_QUERY,
  }),
  [`POST ${ns}/members/:user`]: write(
    ['teams'],
    'Invite a user',
    { 200: MESSAGE },
    { params: params({ namespace: NAMESPACE, user: 'username' }) },
  ),
  [`DELETE ${ns}/members/:user`]: write(
    ['teams'],
    'Remove a member, or leave',
    { 200: MESSAGE },
    {
      params: params({ namespace: NAMESPACE, user: 'username' }),
    },
  ),
  [`GET ${ns}/maintainerships`]: read(
    ['teams'],
    'Packages the namespace maintains (or is invited to)',
    page(PACKAGE, 'A page of package documents'),
    {
      params: params({ namespace: NAMESPACE }),
      querystring: STATUS_QUERY,
    },
  ),
  [`POST ${ns}/maintainerships/:pkgnamespace/:name`]: write(
    ['teams'],
    'Accept an invitation to maintain a package',
    { 200: MESSAGE },
    {
      params: params({ namespace: NAMESPACE, pkgnamespace: "the package's namespace", name: 'package name' }),
    },
  ),
  [`DELETE ${ns}/maintainerships/:pkgnamespace/:name`]: write(
    ['teams'],
    'Decline, or stop maintaining',
    { 200: MESSAGE },
    {
      params: params({ namespace: NAMESPACE, pkgnamespace: "the package's namespace", name: 'package name' }),
    },
  ),
  'GET /users/user/:user/memberships': read(
    ['teams'],
    'Namespaces the user belongs to (pending: only that user)',
    page(str(), 'A page of namespace names'),
    {
      params: params({ user: 'username' }),
      querystring: STATUS_QUERY,
    },
  ),
  'POST /users/user/:user/memberships/:namespace': write(
    ['teams'],
    'Accept a membership invitation',
    { 200: MESSAGE },
    {
      params: params({ user: 'username', namespace: NAMESPACE }),
    },
  ),
  'DELETE /users/user/:user/memberships/:namespace': write(
    ['teams'],
    'Decline, or leave',
    { 200: MESSAGE },
    {
      params: params({ user: 'username', namespace: NAMESPACE }),
    },
  ),
  'GET /objects/object/:algo/*': {
    tags: ['objects'],
    summary: 'A blob by integrity (Range, If-None-Match; immutable)',
    params: params({ algo: 'sha512', '*': 'base64 digest (`/` raw or %2F)' }),
    response: {
      200: { description: 'The bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
      206: { description: 'A byte range', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
      304: { type: 'null', description: 'Not modified' },
      400: error('Unsupported algorithm or malformed digest'),
      404: error('No such object'),
      416: error('Range not satisfiable'),
    },
  },
  'POST /objects/batch': {
    tags: ['objects'],
    summary: 'Many blobs by integrity in one streamed answer (docs/objects-batch.md)',
    body: object({
      objects: { type: 'array', minItems: 1, maxItems: 1000, items: str('sha512-… integrity'), description: '1 to 1000 integrities' },
    }),
    response: {
      200: {
        description:
          'Per integrity asked, in order: `<integrity> <size>\\n` then exactly <size> bytes, or `<integrity> -\\n` when the object is missing (or only private packages the caller may not read reference it). The client verifies each against its integrity.',
        content: { 'application/vnd.entropic.objects': { schema: { type: 'string', format: 'binary' } } },
      },
      400: error('Not 1 to 1000 integrities (INVALID_FIELD), an unsupported algorithm or a malformed digest'),
      413: error('The request body is over 128 KiB'),
    },
  },
};
