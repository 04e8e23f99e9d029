import { defineCommand } from '../command.ts';

export const logout = defineCommand({
  name: 'logout',
  summary: 'Forget the token saved for the registry',
  usage: ['logout [--registry <url>]'],
  details: 'The token stays valid on the registry; revoke it with `ds token revoke` or on the website.',
  async run(ctx) {
    const settings = ctx.config.registries[ctx.registry];
    const hadToken = settings?.token !== undefined;
    if (settings) {
      delete settings.token;
      delete settings.username;
      await ctx.saveConfig(ctx.config);
    }
    return { registry: ctx.registry, loggedOut: hadToken };
  },
  view: (data) => (data.loggedOut ? `Logged out of ${data.registry}.` : `You were not logged in to ${data.registry}.`),
});
