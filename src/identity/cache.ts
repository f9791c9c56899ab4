import type { Principal } from './model.ts';

/**
 * Resolved credentials, kept for a few seconds so a busy institution's requests do not each
 * cost a database round trip. A sign-out, disable or revoke on this node evicts at once; on
 * other nodes the entry lapses within the TTL (documented in docs/operations.md).
 */
export class PrincipalCache {
  private readonly entries = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    private readonly ttlMs = 5_000,
    private readonly maxEntries = 10_000,
  ) {}

  get(credential: string): Principal | null | undefined {
    const e = this.entries.get(credential);
    if (!e) return undefined;
    if (e.until < Date.now()) {
      this.entries.delete(credential);
      return undefined;
    }
    return e.principal;
  }

  set(credential: string, principal: Principal | null): void {
    if (this.entries.size >= this.maxEntries) {
      // Drop the oldest insertion: Map iterates in insertion order.
      const first = this.entries.keys().next();
      if (!first.done) this.entries.delete(first.value);
    }
    this.entries.set(credential, { principal, until: Date.now() + this.ttlMs });
  }

  delete(credential: string): void {
    this.entries.delete(credential);
  }

  /** Evicts every entry of a user or API key (after disable / revoke). */
  evictPrincipal(id: string): void {
    for (const [k, e] of this.entries) if (e.principal?.id === id) this.entries.delete(k);
  }

  clear(): void {
    this.entries.clear();
  }
}
