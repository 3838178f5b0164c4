/**
 * Who may get a process that served a run: the same key, with the same system prompt, schema and
 * client tools (the `initialize` request fixed them for the life of the process). Between runs the session
 * sends `/clear` (session/cli-session.ts): nothing of the earlier run reaches the model again,
 * only about a hundred tokens recording the command itself (measured on 2.1.330; see
 * docs/operations.md), and the new session id is the proof that the conversation was reset.
 */
import { createHash } from 'node:crypto'
import type { RunRequest } from '../../../contract/runner.js'

export const tenantOf = (request: RunRequest) =>
  createHash('sha256')
    .update(
      JSON.stringify([
        request.owner ?? null,
        request.systemPrompt ?? null,
        request.appendSystemPrompt ?? null,
        request.jsonSchema ?? null,
        // The client's tools are served as they were listed when the process began.
        request.tools ?? null,
      ])
    )
    .digest('hex')
