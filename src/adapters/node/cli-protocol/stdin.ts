/**
 * Every line we write to the CLI's stdin (stream-json), as pure functions. Only the CLI session
 * (session/cli-session.ts) writes them to a process; a new kind of message starts here.
 */
import type { ContentBlock, RunRequest } from '../../../contract/runner.js'
import { CLIENT_SERVER } from './client-tools.js'

/** Fixes the system prompt, schema and client tools for the life of the process. */
export const initializeLine = (request: RunRequest, requestId = 'init_1'): string =>
  JSON.stringify({
    type: 'control_request',
    request_id: requestId,
    request: {
      subtype: 'initialize',
      ...(request.systemPrompt !== undefined && { systemPrompt: [request.systemPrompt] }),
      ...(request.appendSystemPrompt !== undefined && {
        appendSystemPrompt: request.appendSystemPrompt,
      }),
      ...(request.jsonSchema !== undefined && { jsonSchema: request.jsonSchema }),
      // The runner itself serves the client's tools (client-tools.ts).
      ...(request.tools?.length && { sdkMcpServers: [CLIENT_SERVER] }),
    },
  })

/**
 * The user line. Content is always an array of blocks; when a text would start with `/` the CLI
 * would run it as a slash command, so an empty trailing block (dropped by the CLI before the API
 * call) keeps it an ordinary prompt that reaches the model unchanged.
 */
export const userLine = (prompt: RunRequest['prompt'], { clearNote = false } = {}): string => {
  const content: ContentBlock[] = [
    ...(clearNote ? CLEAR_NOTE : []),
    ...(typeof prompt === 'string' ? [{ type: 'text' as const, text: prompt }] : prompt),
  ]
  if (content.some((b) => b.type === 'text' && b.text.trimStart().startsWith('/'))) {
    content.push({ type: 'text', text: '' })
  }
  return JSON.stringify({
    type: 'user',
    session_id: '',
    message: { role: 'user', content },
    parent_tool_use_id: null,
  })
}

/**
 * What the CLI puts before the first prompt after `/clear` (2.1.332, as its API request shows):
 * the record of the command. The first conversation of a process that may be reset starts with
 * it too, so every conversation of a key and its tools starts alike, and the prompt cache reads
 * one's first message for the next (a test at the mock checks this, so a CLI that changes the
 * record fails it).
 */
const CLEAR_NOTE: ContentBlock[] = [
  {
    type: 'text',
    text: "<local-command-caveat>The command below was run directly in Claude Code, not sent to you as a request, and its output goes straight to the user. It's recorded here as context for later messages.</local-command-caveat>\n",
  },
  {
    type: 'text',
    text: '<command-name>/clear</command-name>\n            <command-message>clear</command-message>\n            <command-args></command-args>\n',
  },
  { type: 'text', text: '<local-command-stdout></local-command-stdout>\n' },
]

/**
 * `/clear` as a plain string, so the CLI runs it as its built-in command (prompts never are:
 * `userLine`): a new conversation in the same process (pool/tenant.ts says when).
 */
export const CLEAR_LINE = JSON.stringify({
  type: 'user',
  session_id: '',
  message: { role: 'user', content: '/clear' },
  parent_tool_use_id: null,
})
