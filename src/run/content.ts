/** A turn's content as blocks, whichever way it was sent, and a tool result as a history block. */
import type { ContentBlock, HistoryBlock, HistoryTurn, ToolResult } from '../contract/runner.js'

export const blocksOf = (content: HistoryTurn['content']): HistoryBlock[] =>
  typeof content === 'string' ? [{ type: 'text', text: content }] : content

/** Text, an image or a document: what a prompt may hold (not a tool call or result). */
export const isContent = (block: HistoryBlock): block is ContentBlock =>
  block.type === 'text' || block.type === 'image' || block.type === 'document'

/** A result's content as one text, its images and documents named by kind. */
export const resultText = (content: ToolResult['content']) =>
  typeof content === 'string'
    ? content
    : content.map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join('\n')

/** The client's answer to a call, as the turn that carries it shows it. */
export const resultBlock = (result: ToolResult): HistoryBlock => ({
  type: 'tool_result',
  tool_use_id: result.toolUseId,
  content: resultText(result.content),
  ...(result.isError && { is_error: true }),
})

/** An assistant turn: its words, and the tool calls it made as the blocks the model wrote. */
export const assistantTurn = (
  text: string,
  calls: ReadonlyArray<{ id: string; name: string; input: unknown }>
): HistoryTurn => ({
  role: 'assistant',
  content:
    calls.length > 0
      ? [
          ...(text ? [{ type: 'text' as const, text }] : []),
          ...calls.map(({ id, name, input }) => ({ type: 'tool_use' as const, id, name, input })),
        ]
      : text,
})
