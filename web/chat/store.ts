/**
 * Conversations kept in the browser's local storage, so they survive a reload. When storage is
 * full, images of older turns are dropped first (their text stays), then the oldest
 * conversations.
 */
import type { ImageMediaType } from '../../src/contract/run.js'
export type StoredImage = { media_type: ImageMediaType; data: string }

export type ReplyMeta = {
  model: string
  input_tokens: number
  output_tokens: number
  cost_usd: number
  duration_ms: number
}

export type Turn = {
  role: 'user' | 'assistant'
  text: string
  images?: StoredImage[]
  /** Images that were dropped to make room in storage. */
  droppedImages?: number
  meta?: ReplyMeta
  /** The reply ended in an error (shown; not sent back to the model). */
  error?: string
  /** The reply was stopped before it ended. */
  stopped?: boolean
}

export type Conversation = { id: string; title: string; updated: number; turns: Turn[] }

export type ChatState = { conversations: Conversation[]; currentId: string | null }

const KEY = 'claude-code-api.chat.v1'
const MAX_CONVERSATIONS = 50

const isQuotaError = (error: unknown) =>
  error instanceof DOMException &&
  (error.name === 'QuotaExceededError' || error.name === 'NS_ERROR_DOM_QUOTA_REACHED')

export const newConversation = (): Conversation => ({
  id: crypto.randomUUID(),
  title: 'New chat',
  updated: Date.now(),
  turns: [],
})

export const titleOf = (text: string) => {
  const line = text.trim().split('\n')[0] ?? ''
  return line.length > 40 ? `${line.slice(0, 40)}…` : line || 'Image'
}

export const loadState = (storage: Storage): ChatState => {
  try {
    const state = JSON.parse(storage.getItem(KEY) ?? 'null') as ChatState | null
    if (state && Array.isArray(state.conversations)) return state
  } catch {
    // A damaged entry starts afresh rather than breaking the page.
  }
  return { conversations: [], currentId: null }
}

const dropOldestImages = (state: ChatState): boolean => {
  const byAge = [...state.conversations].sort((a, b) => a.updated - b.updated)
  for (const conversation of byAge) {
    for (const turn of conversation.turns) {
      if (turn.images?.length) {
        turn.droppedImages = (turn.droppedImages ?? 0) + turn.images.length
        delete turn.images
        return true
      }
    }
  }
  return false
}

/** Saves the state; returns a notice when something had to be dropped to fit. */
export const saveState = (storage: Storage, state: ChatState): string | undefined => {
  state.conversations.sort((a, b) => b.updated - a.updated)
  state.conversations.splice(MAX_CONVERSATIONS)
  let notice: string | undefined
  for (;;) {
    try {
      storage.setItem(KEY, JSON.stringify(state))
      return notice
    } catch (error) {
      if (!isQuotaError(error)) throw error
      if (dropOldestImages(state)) {
        notice = 'Browser storage is full: images of older messages were not kept.'
      } else if (state.conversations.length > 1) {
        state.conversations.pop()
        notice = 'Browser storage is full: the oldest conversations were removed.'
      } else {
        return 'Browser storage is full: this conversation could not be saved.'
      }
    }
  }
}
