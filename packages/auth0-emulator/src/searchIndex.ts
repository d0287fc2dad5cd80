import type { EmulatorUser } from './types';

// Auth0's user search (GET /api/v2/users) reads an index that lags behind writes; users-by-email
// and GET /users/{id} read the user store and are immediately consistent. Source:
// https://auth0.com/docs/manage-users/user-search/user-search-best-practices ("eventually
// consistent" vs "immediately consistent" endpoints). The emulator models the lag as a fixed
// delay: search sees each user as it was `delayMs` ago. A new user is missing for that long, and
// a deleted one is still found for that long, since a delete reaches the index the same way.

interface Version {
  at: number;
  /** undefined: the user was deleted. */
  user: EmulatorUser | undefined;
}

export class SearchIndex {
  private readonly versions = new Map<string, Version[]>();

  constructor(
    private delay: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Users that were already stored when the emulator started are indexed from the outset. */
  seed(users: EmulatorUser[]): void {
    for (const user of users) this.versions.set(user.user_id, [{ at: -Infinity, user }]);
  }

  get delayMs(): number {
    return this.delay;
  }

  /**
   * Takes effect for searches from now on. History older than the previous delay is already
   * pruned, so raising the delay does not hide writes that were already visible.
   */
  set delayMs(ms: number) {
    this.delay = ms;
  }

  record(userId: string, user: EmulatorUser | undefined): void {
    const history = this.versions.get(userId) ?? [];
    history.push({ at: this.now(), user });
    this.versions.set(userId, history);
    this.settle(userId, history, this.now() - this.delay);
  }

  /** The users search sees now. */
  visible(): EmulatorUser[] {
    const cutoff = this.now() - this.delay;
    const seen: EmulatorUser[] = [];
    for (const [userId, history] of this.versions) {
      const user = this.settle(userId, history, cutoff);
      if (user) seen.push(user);
    }
    return seen;
  }

  /** The version visible at `cutoff`, after dropping the versions nothing can see any more. */
  private settle(userId: string, history: Version[], cutoff: number): EmulatorUser | undefined {
    const current = history.findLastIndex((version) => version.at <= cutoff);
    if (current < 0) return undefined;
    history.splice(0, current);
    const user = history[0]?.user;
    if (!user && history.length === 1) this.versions.delete(userId);
    return user;
  }
}
