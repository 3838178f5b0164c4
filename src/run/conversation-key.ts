/**
 * A conversation as the client shows it, compared as text: the system prompt and each turn's
 * words (images and documents by size, tool calls by name and input, results by their text), so
 * the same words sent as a string or as parts, in one message or two of the same role, compare
 * equal. Two uses:
 * - a follow-up with tool results must agree with the run that waits for them on the
 *   conversation before the calls (a client that edited it would get an answer to a
 *   conversation it never sent; it is refused instead);
 * - a request whose earlier turns are a conversation a live CLI process has just answered goes
 *   on in that process (pool/held-conversations.ts).
 */
import type { HistoryBlock, HistoryTurn, RunRequest } from '../contract/runner.js'

type Said = [role: HistoryTurn['role'], text: string]

/** The system prompt, then the turns as said (one entry per run of turns of one role). */
export type Conversation = { system: string; turns: Said[] }

const blockText = (b: HistoryBlock) => {
  if (b.type === 'text') return b.text.trim()
  if (b.type === 'tool_use') return `[tool_use ${b.name} ${JSON.stringify(b.input ?? {})}]`
  if (b.type === 'tool_result') return `[tool_result ${b.content.trim()}]`
  return `[${b.type} ${b.source.data.length}]`
}

const textOf = (content: HistoryTurn['content']) =>
  typeof content === 'string' ? content.trim() : content.map(blockText).filter(Boolean).join('\n')

/** The conversation with these turns after it (a turn with nothing to say adds nothing). */
export const continueWith = (
  conversation: Conversation,
  ...turns: readonly HistoryTurn[]
): Conversation => {
  const said = [...conversation.turns]
  for (const turn of turns) {
    const text = textOf(turn.content)
    if (!text) continue
    const last = said.at(-1)
    if (last?.[0] === turn.role) said[said.length - 1] = [turn.role, `${last[1]}\n${text}`]
    else said.push([turn.role, text])
  }
  return { system: conversation.system, turns: said }
}

/** The conversation's earlier turns only: what a process that answered them holds. */
export const historyOf = (request: Pick<RunRequest, 'history' | 'systemPrompt'>): Conversation =>
  continueWith(
    { system: request.systemPrompt?.trim() ?? '', turns: [] },
    ...(request.history ?? [])
  )

/** The conversation a run is given: its earlier turns, then its prompt. */
export const conversationOf = (
  request: Pick<RunRequest, 'prompt' | 'history' | 'systemPrompt'>
): Conversation => continueWith(historyOf(request), { role: 'user', content: request.prompt })

export const keyOf = (conversation: Conversation): string =>
  JSON.stringify([conversation.system, ...conversation.turns])

export const conversationKey = (
  request: Pick<RunRequest, 'prompt' | 'history' | 'systemPrompt'>
): string => keyOf(conversationOf(request))
