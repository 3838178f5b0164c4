/** A Messages request as a `RunRequest`: `system` as the system prompt, earlier turns as history. */
import type { ContentBlock, RunRequest } from '../../runner.js'
import { badRequest, splitTurns } from '../shared.js'
import type { MessagesRequest } from './schemas.js'

export const toRunRequest = (body: MessagesRequest): RunRequest => {
  if (body.tools?.length) {
    throw badRequest(
      'tools: tool use is not supported by this server (Claude Code runs its own tools); send the request without tools'
    )
  }
  const turns = body.messages.map((message, i) => ({
    role: message.role,
    content:
      typeof message.content === 'string'
        ? message.content
        : message.content.map((block, j): ContentBlock => {
            if (block.type === 'text') return { type: 'text', text: block.text }
            if (block.source.type === 'url') {
              throw badRequest(
                `messages.${i}.content.${j}.source: image URLs are not fetched by this server; send base64 image data`
              )
            }
            return { type: 'image', source: block.source }
          }),
  }))
  const system =
    typeof body.system === 'string' ? body.system : body.system?.map((b) => b.text).join('\n\n')
  return {
    ...splitTurns(turns),
    model: body.model,
    maxTurns: 1,
    ...(system && { systemPrompt: system }),
  }
}
