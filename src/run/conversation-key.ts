/**
 * What a follow-up with tool results must agree on with the run that waits for them: the
 * conversation before the calls (system prompt and turns, as text, images and documents by size). A client
 * that edited it would get an answer to a conversation it never sent; it is refused instead.
 * Text only, so the same words sent as a string or as parts compare equal.
 */
import type { HistoryBlock, HistoryTurn, RunRequest } from '../contract/runner.js'

const blockText = (b: HistoryBlock) => {
  if (b.type === 'text') return b.text.trim()
  if (b.type === 'tool_use') return `[tool_use ${b.name} ${JSON.stringify(b.input)}]`
  if (b.type === 'tool_result') return `[tool_result ${b.content.trim()}]`
  return `[${b.type} ${b.source.data.length}]`
}

const textOf = (content: HistoryTurn['content'] | RunRequest['prompt']) =>
  typeof content === 'string'
    ? content.trim()
    : (content as HistoryBlock[]).map(blockText).filter(Boolean).join('\n')

export const conversationKey = (
  request: Pick<RunRequest, 'prompt' | 'history' | 'systemPrompt'>
): string =>
  JSON.stringify([
    request.systemPrompt?.trim() ?? '',
    ...(request.history ?? []).map((turn) => [turn.role, textOf(turn.content)]),
    ['user', textOf(request.prompt)],
  ])
