/**
 * What the OpenAI- and Anthropic-compatible endpoints share: which model names they accept,
 * images from data URLs, and turning a message list into a prompt plus real earlier turns.
 */
import { BadRequestError, ModelNotFoundError } from '../errors/index.js'
import { isSafeModel, MODEL_ALIASES } from '../run/names.js'
import { isImageType } from '../run/schemas.js'
import type { ClaudeRunner, ContentBlock, HistoryTurn, RunRequest } from '../runner.js'

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
  return { prompt: last.content, ...(history.length > 0 && { history }) }
}
