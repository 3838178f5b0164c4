/**
 * What a follow-up with tool results must agree on with the run that waits for them: the
 * conversation before the calls (system prompt and turns, as text, images and documents by size). A client
 * that edited it would get an answer to a conversation it never sent; it is refused instead.
 * Text only, so the same words sent as a string or as parts compare equal.
 */
import type { RunRequest } from '../contract/runner.js'

type Content = RunRequest['prompt']

const textOf = (content: Content) =>
  typeof content === 'string'
    ? content.trim()
    : content
        .map((b) => (b.type === 'text' ? b.text.trim() : `[${b.type} ${b.source.data.length}]`))
        .filter(Boolean)
        .join('\n')

export const conversationKey = (
  request: Pick<RunRequest, 'prompt' | 'history' | 'systemPrompt'>
): string =>
  JSON.stringify([
    request.systemPrompt?.trim() ?? '',
    ...(request.history ?? []).map((turn) => [turn.role, textOf(turn.content)]),
    ['user', textOf(request.prompt)],
  ])
