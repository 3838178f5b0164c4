/**
 * Conversations kept in the CLI process that answered them. A client that keeps its own
 * conversation (Claude Code, the SDKs, agent frameworks) resends all of it on each turn; when the
 * earlier turns are what a held process has just answered, the new turn goes on in that process:
 * no `--resume`, no start-up, and the CLI's next call to the API extends its last one exactly, so
 * the prompt cache reads all of it.
 * - Held under the conversation as the client shows it (run/conversation-key.ts) and the process's
 *   place (shape and tenant: the same model, system prompt, tools and key).
 * - Each holds a process (~160–250 MiB): at most `max` at once and `maxPerOwner` of one key (past
 *   either, the oldest of the key that holds the most is stopped), each for `idleMs` at most.
 * - A held process is taken once: the next turn holds it again under its longer conversation.
 */
import { createHash } from 'node:crypto'
import { createHeldBudget } from '../../../lib/held-budget.js'
import { type Conversation, keyOf } from '../../../run/conversation-key.js'
import type { CliSession } from '../session/cli-session.js'

export type HeldConversationsOptions = {
  max: number
  maxPerOwner: number
  idleMs: number
}

/** Where a process holds a conversation: its place (pool key) and its CLI session id. */
export type HeldPlace = { place: string; sessionId: string }

type Held = HeldPlace & { session: CliSession; timer: ReturnType<typeof setTimeout> }

/** Where a conversation is held: its place (pool key) and its words, hashed. */
export const heldKey = (place: string, conversation: Conversation) =>
  createHash('sha256').update(place).update('\n').update(keyOf(conversation)).digest('hex')

export type HeldConversations = ReturnType<typeof createHeldConversations>

export const createHeldConversations = ({ max, maxPerOwner, idleMs }: HeldConversationsOptions) => {
  const held = new Map<string, Held>()
  const budget = createHeldBudget(max, maxPerOwner)
  let continued = 0
  let cleared = 0

  /** Out of the map without stopping its process (taken, or already gone). */
  const remove = (key: string) => {
    const entry = held.get(key)
    if (!entry) return undefined
    held.delete(key)
    clearTimeout(entry.timer)
    budget.release(key)
    return entry
  }
  const drop = (key: string) => void remove(key)?.session.stop()

  return {
    /** Keeps the process for its conversation's next turn (room made as the budget says). */
    hold(session: CliSession, key: string, owner: string, where: HeldPlace) {
      if (max <= 0) return void session.stop()
      drop(key)
      session.hold()
      const timer = setTimeout(() => drop(key), idleMs)
      timer.unref?.()
      held.set(key, { ...where, session, timer })
      budget.hold(key, owner, 1, () => drop(key))
      // A process that dies while it waits is simply gone.
      void session.exited.then(() => {
        if (held.get(key)?.session === session) remove(key)
      })
    },
    /** The live process that holds this conversation, taken out. */
    take(key: string): CliSession | undefined {
      const session = remove(key)?.session
      if (session?.state !== 'holding') {
        void session?.stop()
        return undefined
      }
      continued++
      return session
    },
    /**
     * For a new conversation of the same place when no process waits reset for it: the oldest
     * held one that may be reset (`/clear`), taken out; sooner than a fresh process answers.
     */
    takeToClear(place: string): { session: CliSession; sessionId: string } | undefined {
      for (const [key, entry] of held) {
        if (entry.place !== place || !entry.session.reusable) continue
        if (entry.session.state !== 'holding') continue
        remove(key)
        cleared++
        return entry
      }
      return undefined
    },
    status: () => ({ held: held.size, continued, cleared }),
    close: () => Promise.all([...held.keys()].map((key) => remove(key)?.session.stop())),
  }
}
