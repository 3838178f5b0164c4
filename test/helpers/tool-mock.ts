/**
 * A mock model that uses the client's `get_weather` tool: it calls it (after a few words) when
 * it is offered and no result is there yet, and answers with the result once it has one.
 */
import {
  lastUserMessage,
  type MockHandler,
  toolResultsOf,
  userText,
} from '../../dev-tools/mock-anthropic/server.js'

export const WEATHER_TOOL = 'mcp__client__get_weather'

export const weatherSchema = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
}

const textOf = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content.map((b: { text?: string }) => b.text ?? '').join('')
      : ''

export const weatherModel: MockHandler = (request) => {
  const [result] = toolResultsOf(request.body)
  if (result) {
    const prefix = result.is_error ? 'Tool failed' : 'Weather'
    return { kind: 'text', text: `${prefix}: ${textOf(result.content)}` }
  }
  if ((request.body.tools ?? []).some((t) => t.name === WEATHER_TOOL)) {
    return { kind: 'tool', name: WEATHER_TOOL, input: { city: 'Paris' }, text: 'Let me check.' }
  }
  return { kind: 'text', text: `ECHO: ${userText(lastUserMessage(request.body))}` }
}
