import { join } from 'node:path';

/**
 * The environment a bench runs the npm (pnpm, yarn) CLI in: its own HOME, config and cache, and
 * no npm_* variables inherited from the `npm run` that started the bench.
 */
export function clientEnv(home: string, cache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(npm_|yarn_|pnpm_)/i.test(key)) env[key] = value;
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    npm_config_userconfig: join(home, '.npmrc'),
    npm_config_cache: cache,
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    CI: 'true',
  };
}
