/**
 * What the mock answers with, and the helpers a test's handler uses to read what reached the
 * model. The default handler echoes the prompt as `ECHO: <prompt>`.
 */

export type MockReply =
  | {
      kind: 'text'
      text: string
      /** Split the text into this many deltas. */
      chunks?: number
      /** Wait before the first byte. */
      delayMs?: number
      /** Wait between deltas. */
      intervalMs?: number
      /** Extra response headers (e.g. `anthropic-ratelimit-unified-*`). */
      headers?: Record<string, string>
    }
  | {
      kind: 'tool'
      name: string
      input: unknown
      text?: string
      /** More calls in the same message (parallel tool use). */
      more?: Array<{ name: string; input: unknown }>
    }
  | {
      kind: 'error'
      status: number
      type?: string
      message?: string
      headers?: Record<string, string>
    }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Send the headers and `message_start`, then nothing. */
  | { kind: 'stall' }

export type MockRequest = {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  body: MessagesBody
  /** When it arrived (ms since the epoch), to order requests across mocks. */
  at: number
  /** The usage the mock answered with (its prompt cache's reads and writes included). */
  usage?: {
    input_tokens: number
    output_tokens: number
    cache_creation_input_tokens: number
    cache_read_input_tokens: number
  }
}

export type MessagesBody = {
  model?: string
  stream?: boolean
  system?: Array<{ type: string; text: string }> | string
  tools?: Array<{ name: string; input_schema?: unknown }>
  messages?: Array<{ role: string; content: unknown }>
  [key: string]: unknown
}

export type MockHandler = (request: MockRequest) => MockReply

/** The last message whose role is `user` (the CLI also sends `role: "system"` entries). */
export const lastUserMessage = (body: MessagesBody) =>
  [...(body.messages ?? [])].reverse().find((m) => m.role === 'user')

/** The prompt text of a user message: the string, or its last text block. */
export const userText = (message: { content: unknown } | undefined): string => {
  if (!message) return ''
  if (typeof message.content === 'string') return message.content
  if (Array.isArray(message.content)) {
    const texts = message.content.filter(
      (b): b is { type: 'text'; text: string } => b?.type === 'text'
    )
    return texts.at(-1)?.text ?? ''
  }
  return ''
}

export const systemText = (body: MessagesBody): string =>
  typeof body.system === 'string'
    ? body.system
    : (body.system ?? []).map((block) => block.text).join('\n')

/** A `tool_result` block as a request carries it. */
export type ToolResultBlock = {
  type: 'tool_result'
  tool_use_id?: string
  content?: unknown
  is_error?: boolean
}

/** The tool results in the last user message. */
export const toolResultsOf = (body: MessagesBody): ToolResultBlock[] => {
  const content = lastUserMessage(body)?.content
  return Array.isArray(content) ? content.filter((b) => b?.type === 'tool_result') : []
}

const hasStructuredOutputResult = (body: MessagesBody) => toolResultsOf(body).length > 0

/** Echoes the prompt; answers `StructuredOutput` with `{"answer":4}` when a schema is in play. */
export const defaultHandler: MockHandler = (request) => {
  const tools = request.body.tools ?? []
  if (
    tools.some((t) => t.name === 'StructuredOutput') &&
    !hasStructuredOutputResult(request.body)
  ) {
    return { kind: 'tool', name: 'StructuredOutput', input: { answer: 4 } }
  }
  return { kind: 'text', text: `ECHO: ${userText(lastUserMessage(request.body))}` }
}
