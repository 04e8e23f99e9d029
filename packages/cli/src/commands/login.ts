import { spawn } from 'node:child_process';
import { ClientError, createRegistryClient } from '@entropic/client';
import { defineCommand } from '../command.ts';
import { stringOption } from '../command-args.ts';

function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command as string, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no browser: the URL is printed anyway
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const login = defineCommand({
  name: 'login',
  summary: 'Log in through the registry website and save a token',
  usage: ['login [--registry <url>] [--no-browser] [--timeout <seconds>]'],
  options: {
    'no-browser': { type: 'boolean', description: 'print the URL only; do not open a browser' },
    timeout: { type: 'string', description: 'give up after this many seconds (default 600)' },
  },
  details: 'The token is saved in ~/.entropicrc under the registry URL. The first registry you log in to becomes the default.',
  async run(ctx) {
    const client = ctx.client();
    const session = await client.startLogin();
    ctx.io.stderr.write(`Open this URL in a browser to log in:\n  ${session.loginUrl}\n`);
    const stderr = ctx.io.stderr as NodeJS.WriteStream;
    if (ctx.options['no-browser'] !== true && stderr.isTTY && !ctx.io.env.CI) openBrowser(session.loginUrl);
    const timeoutMs = Number(stringOption(ctx, 'timeout') ?? 600) * 1000;
    const deadline = Date.now() + timeoutMs;
    let token: string | undefined;
    while (token === undefined) {
      const poll = await client.pollLogin(session.doneUrl);
      if (poll.status === 'done') token = poll.token;
      else {
        if (Date.now() + poll.retryAfterMs > deadline) {
          throw new ClientError('LOGIN_TIMEOUT', 'Timed out waiting for the browser login to finish.', { hint: 'Run `ds login` again.' });
        }
        await sleep(poll.retryAfterMs);
      }
    }
    const authed = createRegistryClient({ registry: ctx.registry, token });
    let username: string;
    try {
      username = (await authed.whoami()).username;
    } finally {
      await authed.close();
    }
    const config = ctx.config;
    config.registries[ctx.registry] = { ...config.registries[ctx.registry], token, username };
    config.registry ??= ctx.registry;
    await ctx.saveConfig(config);
    return { registry: ctx.registry, username, configPath: ctx.configPath };
  },
  view: (data) => `Logged in to ${data.registry} as ${data.username}; token saved in ${data.configPath}.`,
});
