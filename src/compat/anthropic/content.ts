/**
 * Messages content blocks as run content: text, base64 images and documents pass on; earlier
 * tool calls and their results stay blocks in the history; earlier thinking is left out (the
 * run's model does its own). What this server cannot take is refused by field, never dropped.
 */
import type { ContentBlock, HistoryBlock, ToolResult } from '../../contract/runner.js'
import { resultText } from '../../run/content.js'
import { badRequest } from '../shared.js'
import type { Block } from './schemas.js'

type BlockOf<T extends Block['type']> = Extract<Block, { type: T }>

export const imageOf = (block: BlockOf<'image'>, field: string): ContentBlock => {
  if (block.source.type === 'url') {
    throw badRequest(
      `${field}.source: image URLs are not fetched by this server; send base64 image data`
    )
  }
  return { type: 'image', source: block.source }
}

/** A base64 PDF or a plain-text document, as the CLI passes it to the model. */
export const documentOf = (block: BlockOf<'document'>, field: string): ContentBlock => {
  const { source } = block
  const extra = {
    ...(block.title && { title: block.title }),
    ...(block.context && { context: block.context }),
  }
  if (source.type === 'base64' && source.media_type === 'application/pdf') {
    return {
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: source.data },
      ...extra,
    }
  }
  if (source.type === 'text' && (source.media_type ?? 'text/plain') === 'text/plain') {
    return {
      type: 'document',
      source: { type: 'text', media_type: 'text/plain', data: source.data },
      ...extra,
    }
  }
  throw badRequest(
    source.type === 'base64'
      ? `${field}.source: base64 documents must be application/pdf`
      : `${field}.source: ${source.type} documents are not supported here; send a base64 PDF or plain text`
  )
}

/** A tool result's content: its text, images and documents. */
export const resultContent = (
  block: BlockOf<'tool_result'>,
  field: string
): ToolResult['content'] =>
  typeof block.content === 'string' || block.content === undefined
    ? (block.content ?? '')
    : block.content.map((part, k) => {
        if (part.type === 'text') return { type: 'text', text: part.text }
        const at = `${field}.content.${k}`
        return part.type === 'image' ? imageOf(part, at) : documentOf(part, at)
      })

/** A history message's blocks as run content: tool calls and results stay blocks. */
export const turnContent = (blocks: Block[], field: string): HistoryBlock[] =>
  blocks.flatMap((block, j): HistoryBlock[] => {
    const at = `${field}.${j}`
    switch (block.type) {
      case 'text':
        return [{ type: 'text', text: block.text }]
      case 'image':
        return [imageOf(block, at)]
      case 'document':
        return [documentOf(block, at)]
      case 'thinking':
      case 'redacted_thinking':
        return []
      case 'tool_use':
        return [{ type: 'tool_use', id: block.id, name: block.name, input: block.input }]
      default:
        return [
          {
            type: 'tool_result',
            tool_use_id: block.tool_use_id,
            content: resultText(resultContent(block, at)),
            ...(block.is_error && { is_error: true }),
          },
        ]
    }
  })

/**
 * A `system` entry among the messages (Claude Code's per-turn context, such as its environment)
 * as the CLI's own kind of context: a system reminder in a user turn.
 */
export const reminderOf = (content: string | Block[]): HistoryBlock[] => {
  const text =
    typeof content === 'string'
      ? content
      : content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n')
  return text ? [{ type: 'text', text: `<system-reminder>\n${text}\n</system-reminder>` }] : []
}
