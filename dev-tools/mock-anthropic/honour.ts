/**
 * What the real Messages API does with a request's own limits, so tests of them can fail: the
 * answer stops at `max_tokens` (`stop_reason: "max_tokens"`) or before the first of its
 * `stop_sequences`, thinking comes first when asked for and the model thinks (with a signature the API checks when
 * the block comes back in a later request), and malformed documents are a 400.
 */
import type { MessagesBody } from './replies.js'

/** The mock's tokenizer: one token per 4 characters (the real one is close for English). */
export const tokensOf = (text: string) => Math.ceil(text.length / 4)

export type Honoured = {
  text: string | undefined
  stopReason: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence'
  stopSequence: string | null
  thinking?: { thinking: string; signature: string }
  /** Output tokens beyond the usual 2, when the text was cut or thinking was added. */
  outputTokens?: number
}

const SIGNATURE_PREFIX = 'mocksig_'

/** Signs as the API would: a later request must send the thinking back unchanged. */
const sign = (thinking: string) =>
  `${SIGNATURE_PREFIX}${Buffer.from(thinking).toString('base64url').slice(0, 48)}`

/**
 * Whether the answer shows thinking: not when thinking is off or its display omitted; always
 * when it is `enabled`; with `adaptive` (what the CLI asks for) the model decides, and the
 * mock's model thinks when the prompt asks it to ("think").
 */
const thinks = (body: MessagesBody, prompt: string) => {
  const thinking = body.thinking as { type?: string; display?: string } | undefined
  if (!thinking || thinking.type === 'disabled' || thinking.display === 'omitted') return false
  return thinking.type === 'enabled' || /\bthink/i.test(prompt)
}

/** The first thing the real API would refuse in the request's messages, if any. */
export const invalidContent = (body: MessagesBody): string | undefined => {
  for (const [i, message] of (body.messages ?? []).entries()) {
    if (!Array.isArray(message.content)) continue
    for (const [j, block] of (message.content as Array<Record<string, unknown>>).entries()) {
      const at = `messages.${i}.content.${j}`
      if (block.type === 'thinking') {
        const text = String(block.thinking ?? '')
        if (block.signature !== sign(text))
          return `${at}: Invalid \`signature\` in \`thinking\` block`
      }
      if (block.type === 'document') {
        const source = block.source as { type?: string; media_type?: string; data?: unknown }
        const ok =
          (source?.type === 'base64' && source.media_type === 'application/pdf') ||
          (source?.type === 'text' && source.media_type === 'text/plain')
        if (!ok || typeof source.data !== 'string') return `${at}.source: invalid document source`
      }
    }
  }
  return undefined
}

export const honour = (
  body: MessagesBody,
  text: string | undefined,
  prompt: string,
  toolCall: boolean
): Honoured => {
  const thinking = thinks(body, prompt)
    ? { thinking: `Thinking about: ${prompt}`, signature: sign(`Thinking about: ${prompt}`) }
    : undefined
  const thought = thinking ? tokensOf(thinking.thinking) : 0
  const base = { thinking, ...(thinking && { outputTokens: 2 + thought }) }
  if (toolCall || text === undefined) {
    return { ...base, text, stopReason: toolCall ? 'tool_use' : 'end_turn', stopSequence: null }
  }
  const sequences = Array.isArray(body.stop_sequences) ? (body.stop_sequences as string[]) : []
  const hits = sequences
    .map((sequence) => ({ sequence, at: text.indexOf(sequence) }))
    .filter((hit) => hit.at >= 0)
    .sort((a, b) => a.at - b.at)
  const limit = typeof body.max_tokens === 'number' ? body.max_tokens - thought : Infinity
  const first = hits[0]
  const kept = first ? text.slice(0, first.at) : text
  if (tokensOf(kept) > limit) {
    const cut = kept.slice(0, Math.max(0, limit) * 4)
    return {
      ...base,
      text: cut,
      stopReason: 'max_tokens',
      stopSequence: null,
      outputTokens: body.max_tokens as number,
    }
  }
  if (first)
    return { ...base, text: kept, stopReason: 'stop_sequence', stopSequence: first.sequence }
  return { ...base, text, stopReason: 'end_turn', stopSequence: null }
}
