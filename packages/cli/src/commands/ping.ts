import { defineCommand } from '../command.ts';

export const ping = defineCommand({
  name: 'ping',
  summary: 'Check that the registry answers',
  usage: ['ping'],
  async run(ctx) {
    const { text, ms } = await ctx.client().ping();
    return { registry: ctx.registry, ms, response: text };
  },
  view: (data) => `PONG from ${data.registry} in ${data.ms} ms: ${data.response}`,
});
