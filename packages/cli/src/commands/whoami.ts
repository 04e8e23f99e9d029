import { defineCommand } from '../command.ts';

export const whoami = defineCommand({
  name: 'whoami',
  summary: 'Print the user you are logged in as',
  usage: ['whoami'],
  async run(ctx) {
    ctx.requireToken();
    const { username } = await ctx.client().whoami();
    return { registry: ctx.registry, username };
  },
  view: (data) => data.username,
});
