/**
 * What the compatible endpoints (Chat Completions, Messages, Responses) share: which model names
 * they accept, images and documents from data URLs, turning a message list into a prompt plus
 * real earlier turns, refusing unknown fields, naming ignored ones, and the generation controls.
 */
import type { Context } from 'hono'
import { isSafeModel, MODEL_ALIASES } from '../contract/names.js'
import { isImageType } from '../contract/run.js'
import type { ClaudeRunner, ContentBlock, HistoryTurn, RunRequest } from '../contract/runner.js'
import { BadRequestError, ModelNotFoundError } from '../errors/index.js'

export const badRequest = (message: string) => new BadRequestError(message)

/**
 * An alias, an id the CLI resolves an alias to, or any `claude-…` id of a safe shape; anything
 * else is a 404, as the real APIs answer an unknown model.
 */
export const checkModel = async (runner: ClaudeRunner, model: string) => {
  if (!isSafeModel(model)) throw new ModelNotFoundError(`The model '${model}' does not exist`)
  if ((MODEL_ALIASES as readonly string[]).includes(model) || /^claude-[a-z0-9.-]+$/.test(model)) {
    return
  }
  const known = await runner.models().catch(() => [])
  if (!known.some((m) => m.api_id === model || m.id === model)) {
    throw new ModelNotFoundError(`The model '${model}' does not exist`)
  }
}

/** A `data:image/png;base64,…` URL as an image block; remote URLs are refused, never fetched. */
export const imageFromDataUrl = (url: string, field: string): ContentBlock => {
  const match = /^data:([a-z/+.-]+);base64,([A-Za-z0-9+/]+=*)$/i.exec(url.trim())
  if (!match) {
    if (/^https?:/i.test(url)) {
      throw badRequest(
        `${field}: remote image URLs are not fetched by this server; send the image as a base64 data: URL`
      )
    }
    throw badRequest(`${field}: not a base64 data: URL`)
  }
  const mediaType = (match[1] as string).toLowerCase()
  if (!isImageType(mediaType)) {
    throw badRequest(`${field}: image type ${mediaType} is not supported (png, jpeg, gif, webp)`)
  }
  return {
    type: 'image',
    source: { type: 'base64', media_type: mediaType, data: match[2] as string },
  }
}

/**
 * A file sent as a data URL as a document: a PDF as base64, plain text decoded. Anything else
 * is refused by field (the model reads documents of these two kinds only).
 */
export const documentFromDataUrl = (url: string, field: string, title?: string): ContentBlock => {
  const match = /^data:([a-z/+.-]+)(;charset=[\w-]+)?;base64,([A-Za-z0-9+/]+=*)$/i.exec(url.trim())
  if (!match) throw badRequest(`${field}: not a base64 data: URL`)
  const mediaType = (match[1] as string).toLowerCase()
  const data = match[3] as string
  const named = title ? { title } : {}
  if (mediaType === 'application/pdf') {
    return { type: 'document', source: { type: 'base64', media_type: mediaType, data }, ...named }
  }
  if (mediaType === 'text/plain') {
    const text = new TextDecoder().decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)))
    return {
      type: 'document',
      source: { type: 'text', media_type: mediaType, data: text },
      ...named,
    }
  }
  throw badRequest(
    `${field}: file type ${mediaType} is not supported (application/pdf, text/plain)`
  )
}

/** The last turn must be the user's: it is the prompt; the turns before it are the history. */
export const splitTurns = (turns: HistoryTurn[]): Pick<RunRequest, 'prompt' | 'history'> => {
  const last = turns.at(-1)
  if (!last) throw badRequest('messages: at least one user message is needed')
  if (last.role !== 'user') {
    throw badRequest(
      'messages: the last message must be from the user (assistant prefill is not supported)'
    )
  }
  const history = turns.slice(0, -1)
  // Results no run waits for (the client answered a call of a run that is gone) are words now.
  const prompt =
    typeof last.content === 'string'
      ? last.content
      : last.content.map((block) =>
          block.type === 'tool_result'
            ? { type: 'text' as const, text: `[tool result: ${block.content}]` }
            : block.type === 'tool_use'
              ? { type: 'text' as const, text: `[tool call: ${block.name}]` }
              : block
        )
  return { prompt, ...(history.length > 0 && { history }) }
}

/** A field that would change what the request means is refused by name, never ignored. */
export const refuseUnknownFields = (body: object, known: ReadonlySet<string>) => {
  const unknown = Object.keys(body).filter((key) => !known.has(key))
  if (unknown.length > 0) {
    throw badRequest(
      `${unknown.join(', ')}: not supported by this server (it would change the answer)`
    )
  }
}

/** Fields accepted so clients work but not honoured: named in a header, never a silent change. */
export const nameIgnored = (c: Context, body: object, fields: readonly string[]) => {
  const given = fields.filter((field) => (body as Record<string, unknown>)[field] != null)
  if (given.length > 0) c.header('x-ignored-params', given.join(', '))
}

/** The CLI's own cap when none is asked for (its highest default); above it the cap is its own. */
const CLI_MAX_OUTPUT_TOKENS = 128_000

/** A client's output token cap as the run's, when it is below the CLI's own. */
export const outputCapOf = (cap: number | null | undefined): Pick<RunRequest, 'maxOutputTokens'> =>
  cap && cap < CLI_MAX_OUTPUT_TOKENS ? { maxOutputTokens: cap } : {}

/** OpenAI's reasoning effort as the CLI's: `minimal` is `low`, `none` sets none. */
export const effortOf = (
  effort: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | null | undefined
): Pick<RunRequest, 'effort'> =>
  effort && effort !== 'none' ? { effort: effort === 'minimal' ? 'low' : effort } : {}

/** A tool call's arguments as sent (a JSON string), parsed; kept as text when they are not JSON. */
export const parseArguments = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
