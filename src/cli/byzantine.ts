/** `bftledger byzantine list`: the misbehaviours a replica can be started with (testing only). */
import type { Command } from 'commander';

/** Registers `byzantine`. */
export function registerByzantine(program: Command): void {
  const cmd = program
    .command('byzantine')
    .description('adversarial behaviours for testing against misbehaving replicas');
  cmd
    .command('list')
    .description('list the behaviours (use with replica --byzantine or up --byzantine ID:BEHAVIOURS)')
    .action(async () => {
      const { describeBehaviours } = await import('../byzantine/index.js');
      for (const line of describeBehaviours()) console.log(line);
    });
}
