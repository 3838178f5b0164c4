/**
 * A budget for what requests leave the server holding after they are answered, weighed in bytes
 * (stored responses and finished background runs share one of 256 MiB) or one per entry (how
 * many each store keeps): a key past its own share drops its own oldest entries, and past the
 * total, the oldest entries of the key that holds the most go first, so a key that floods the
 * server pushes out its own, never another's. Bytes are JSON lengths: close enough for text,
 * and cheap to take.
 */

/** What one request leaves held is weighed by its JSON length. */
export const heldBytes = (value: unknown) => JSON.stringify(value)?.length ?? 0

/** The budget when none is set: 256 MiB. */
export const HELD_MEMORY_BYTES = 256 * 1024 * 1024

export type HeldBudget = ReturnType<typeof createHeldBudget>

export const createHeldBudget = (
  max = HELD_MEMORY_BYTES,
  maxPerOwner = Number.POSITIVE_INFINITY
) => {
  /** By key (a store's own id), oldest first; `drop` removes the entry from its store. */
  const entries = new Map<string, { owner: string; bytes: number; drop: () => void }>()
  const byOwner = new Map<string, number>()
  let total = 0

  const forget = (key: string) => {
    const entry = entries.get(key)
    if (!entry) return
    entries.delete(key)
    total -= entry.bytes
    const left = (byOwner.get(entry.owner) ?? 0) - entry.bytes
    if (left > 0) byOwner.set(entry.owner, left)
    else byOwner.delete(entry.owner)
  }

  const heaviest = () => {
    let found: string | undefined
    let most = -1
    for (const [owner, bytes] of byOwner) {
      if (bytes > most) [found, most] = [owner, bytes]
    }
    return found
  }

  /** Drops `owner`'s oldest entry; false when it has none. */
  const dropOldest = (owner: string | undefined) => {
    for (const [key, entry] of entries) {
      if (entry.owner !== owner) continue
      forget(key)
      entry.drop()
      return true
    }
    return false
  }

  const evict = (owner: string) => {
    while ((byOwner.get(owner) ?? 0) > maxPerOwner && dropOldest(owner)) {}
    while (total > max && dropOldest(heaviest())) {}
  }

  return {
    /** Counts an entry (again, if it was); may drop its key's or the heaviest key's oldest ones, this one too. */
    hold(key: string, owner: string, bytes: number, drop: () => void) {
      forget(key)
      entries.set(key, { owner, bytes, drop })
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + bytes)
      total += bytes
      evict(owner)
    },
    /** The entry is gone from its store: it counts no more. */
    release: forget,
    /** What is held in all, or by one key. */
    bytes: (owner?: string) => (owner === undefined ? total : (byOwner.get(owner) ?? 0)),
  }
}
