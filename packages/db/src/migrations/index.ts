import { statements as initial } from './0001-initial.ts';
import { statements as accounts } from './0002-accounts.ts';
import { statements as npm } from './0003-npm.ts';
import { statements as deprecations } from './0004-deprecations.ts';
import { statements as legacySystemPrincipal } from './0005-legacy-system-principal.ts';
import { statements as npmPublished } from './0006-npm-published-tarballs.ts';
import { statements as search } from './0007-search.ts';
import { statements as jobs } from './0008-jobs.ts';
import { statements as searchPrefixIndexes } from './0009-search-prefix-indexes.ts';
import { statements as downloadCounts } from './0010-download-counts.ts';
import { statements as granularTokens } from './0012-granular-tokens.ts';
import { statements as teams } from './0013-teams.ts';
import { statements as accountSecurity } from './0014-account-security.ts';
import { statements as hostKeys } from './0015-host-keys.ts';
import { statements as privateVisibility } from './0016-private-visibility.ts';
import { statements as trustedPublishing } from './0017-trusted-publishing.ts';
import { statements as advisories } from './0018-advisories.ts';
import { statements as federation } from './0019-federation.ts';
import { statements as namespaceReleaseAge } from './0020-namespace-release-age.ts';
import { statements as packIndex } from './0021-pack-index.ts';

/**
 * Versioned migrations, applied in order, each in its own transaction. Append only: never edit a
 * migration that has shipped; add a new file and list it here.
 */
export const migrations: ReadonlyArray<{ name: string; statements: readonly string[] }> = [
  { name: '0001-initial', statements: initial },
  { name: '0002-accounts', statements: accounts },
  { name: '0003-npm', statements: npm },
  { name: '0004-deprecations', statements: deprecations },
  { name: '0005-legacy-system-principal', statements: legacySystemPrincipal },
  { name: '0006-npm-published-tarballs', statements: npmPublished },
  { name: '0007-search', statements: search },
  { name: '0008-jobs', statements: jobs },
  { name: '0009-search-prefix-indexes', statements: searchPrefixIndexes },
  { name: '0010-download-counts', statements: downloadCounts },
  { name: '0012-granular-tokens', statements: granularTokens },
  { name: '0013-teams', statements: teams },
  { name: '0014-account-security', statements: accountSecurity },
  { name: '0015-host-keys', statements: hostKeys },
  { name: '0016-private-visibility', statements: privateVisibility },
  { name: '0017-trusted-publishing', statements: trustedPublishing },
  { name: '0018-advisories', statements: advisories },
  { name: '0019-federation', statements: federation },
  { name: '0020-namespace-release-age', statements: namespaceReleaseAge },
  { name: '0021-pack-index', statements: packIndex },
];
