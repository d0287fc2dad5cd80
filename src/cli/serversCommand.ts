import type { Dependencies } from '../composition';
import { command } from './command';
import { table } from './format';
import { parseCommandArgs, UsageError } from './options';

/** `npm run tenants -- servers [drain|undrain <name>]`: the tenant servers, and draining. */

type ServersArgs =
  { action: 'list'; json: boolean } | { action: 'drain' | 'undrain'; name: string };

export const serversCommand = command({
  summary: 'Table of the database servers (tenants, accepting, reachable); drain or undrain one',
  usage: `Usage: npm run tenants -- servers [--json]
       npm run tenants -- servers drain <name>     stop placing new tenants there
       npm run tenants -- servers undrain <name>   place new tenants there again

Servers come from configuration: default (DATABASE_URL's) and DATABASE_SERVERS. Draining
affects new signups only; the tenants already there stay and keep being migrated.`,
  parse(args: string[]): ServersArgs {
    const { values, positionals } = parseCommandArgs(args, {
      options: { json: { type: 'boolean' } },
      positionals: { min: 0, max: 2, name: 'drain|undrain <name>' },
    });
    const [action, name] = positionals;
    if (action === undefined) return { action: 'list', json: values.json === true };
    if (action !== 'drain' && action !== 'undrain')
      throw new UsageError(`unknown servers action '${action}': use drain or undrain`);
    if (name === undefined) throw new UsageError(`servers ${action} needs a server name`);
    return { action, name };
  },
  async run(parsed, deps: Dependencies) {
    const { servers } = deps;
    const registry = deps.catalog.servers;
    if (parsed.action !== 'list') {
      if (!servers.has(parsed.name))
        throw new UsageError(`no database server named ${parsed.name} is configured`);
      await registry.setAccepting(parsed.name, parsed.action === 'undrain');
      process.stdout.write(
        `${parsed.name} ${parsed.action === 'drain' ? 'no longer accepts' : 'accepts'} new tenants\n`,
      );
      return 0;
    }
    const rows = new Map((await registry.list()).map((r) => [r.name, r]));
    const listed = await Promise.all(
      servers.all().map(async (s) => ({
        name: s.name,
        address: s.address,
        tenants: rows.get(s.name)?.tenants ?? 0,
        maxTenants: s.maxTenants ?? null,
        acceptsNewTenants: rows.get(s.name)?.acceptsNewTenants ?? true,
        reachable: await s.reachable(),
        problem: s.unreachableBecause() ?? null,
      })),
    );
    if (parsed.json) {
      process.stdout.write(`${JSON.stringify({ servers: listed }, null, 2)}\n`);
      return 0;
    }
    const header = ['SERVER', 'ADDRESS', 'TENANTS', 'ACCEPTS NEW', 'REACHABLE'];
    const body = listed.map((s) => [
      s.name,
      s.address,
      s.maxTenants === null ? String(s.tenants) : `${s.tenants}/${s.maxTenants}`,
      s.acceptsNewTenants ? 'yes' : 'no (drained)',
      s.reachable ? 'yes' : `no (${s.problem ?? 'no answer'})`,
    ]);
    process.stdout.write(`${table([header, ...body])}\n`);
    return 0;
  },
});
