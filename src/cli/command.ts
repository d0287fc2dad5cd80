import type { Auth0Dependencies, Dependencies } from '../composition';

interface CommandText {
  summary: string;
  usage: string;
}

/**
 * A command. `parse` reads its arguments (options.ts; a UsageError before anything starts);
 * `run` gets what it parsed and returns the process exit code. Only commands that talk to
 * Auth0 get (and pay for starting) the Auth0 client, or the local emulator.
 */
export type Command<P = unknown> = CommandText & { parse(args: string[]): P } & (
    | { auth0?: false; run(parsed: P, deps: Dependencies): Promise<number> }
    | { auth0: true; run(parsed: P, deps: Dependencies & Auth0Dependencies): Promise<number> }
  );

/** Keeps each command's parsed type while the table holds them all. */
export const command = <P>(c: Command<P>): Command => c;
