/**
 * `bftledger client --dir DIR [--as NAME] transfer|balance|mint ...`: one request through the
 * client library, one JSON object on stdout, e.g.
 *   {"status":"committed","seq":12,"view":0,"result":{"code":"ok","balance":"999990"}}
 * `balance ACCOUNT` prints {"account":NAME,"balance":"<decimal>","seq":..,"view":..}. Exit code 1
 * when the request did not complete (no f + 1 matching replies in time) or the ledger refused it
 * (the JSON still says why), 2 on bad usage.
 */
import type { Command } from 'commander';
import type { LedgerClient, Outcome } from '../client/ledger-client.js';
import {
  type Cluster,
  clientOf,
  connectionOwnerOf,
  loadCluster,
  loadKey,
  loadSigner,
} from '../config/cluster.js';
import { integer, positiveAmount } from './parse.js';

/** Options shared by every client subcommand. */
interface ClientCliOptions {
  /** Network directory. */
  dir: string;
  /** Client name or id. */
  as: string;
  /** Give up after this many seconds. */
  timeout: number;
}

/** Connects as the chosen client, runs `action`, prints its JSON, and always disconnects. */
async function withClient(
  o: ClientCliOptions,
  action: (client: LedgerClient, cluster: Cluster) => Promise<{ json: object; ok: boolean }>,
): Promise<void> {
  const { LedgerClient } = await import('../client/ledger-client.js');
  let client: LedgerClient | undefined;
  try {
    const cluster = loadCluster(o.dir);
    const me = clientOf(cluster, /^\d+$/.test(o.as) ? Number(o.as) : o.as);
    const signer = loadSigner(o.dir, 'client', me.id, cluster);
    // A client configured `via` another connects with that one's libp2p identity: its replies go there.
    const { secretKey } = loadKey(o.dir, 'client', connectionOwnerOf(cluster, me.id), cluster);
    client = await LedgerClient.connect({
      cluster,
      id: me.id,
      signer,
      secretKey,
      deadlineMs: o.timeout * 1000,
    });
    const { json, ok } = await action(client, cluster);
    console.log(JSON.stringify(json));
    if (!ok) process.exitCode = 1;
  } catch (err) {
    console.error(`bftledger client: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  } finally {
    await client?.close();
  }
}

/** The JSON of a completed request. */
function outcomeJson(out: Outcome): { json: object; ok: boolean } {
  return {
    json: { status: out.status, seq: out.seq, view: out.view, result: out.result },
    ok: out.result.code === 'ok',
  };
}

/** Registers `client` and its subcommands. */
export function registerClient(program: Command): void {
  const client = program
    .command('client')
    .description('send a transaction or read a balance through the replicas (f+1 matching replies)')
    .requiredOption('--dir <dir>', 'network directory')
    .option('--as <name>', 'client name or id (its key is DIR/keys/client-ID.json)', 'client-0')
    .option('--timeout <seconds>', 'give up after this many seconds', integer(1, 3600), 30);
  const common = () => client.opts<ClientCliOptions>();
  client
    .command('transfer')
    .description("transfer from the client's account (or --from) to --to")
    .requiredOption('--to <account>', 'account name or owner public key (hex)')
    .requiredOption('--amount <amount>', 'positive integer amount', positiveAmount)
    .option('--from <account>', "source account (default: the client's own)")
    .action((o: { to: string; amount: bigint; from?: string }) =>
      withClient(common(), async (c) => outcomeJson(await c.transfer(o.to, o.amount, o.from))),
    );
  client
    .command('mint')
    .description('mint into --to (the client must be a genesis issuer)')
    .requiredOption('--to <account>', 'account name or owner public key (hex)')
    .requiredOption('--amount <amount>', 'positive integer amount', positiveAmount)
    .action((o: { to: string; amount: bigint }) =>
      withClient(common(), async (c) => outcomeJson(await c.mint(o.to, o.amount))),
    );
  client
    .command('balance')
    .description('read the balance of an account (ordered like any request)')
    .argument('<account>', 'account name or owner public key (hex)')
    .action((account: string) =>
      withClient(common(), async (c) => {
        const out = await c.balance(account);
        const ok = out.result.code === 'ok';
        const json = ok
          ? { account, balance: out.result.balance, seq: out.seq, view: out.view }
          : { account, error: out.result.code, seq: out.seq, view: out.view };
        return { json, ok };
      }),
    );
}
