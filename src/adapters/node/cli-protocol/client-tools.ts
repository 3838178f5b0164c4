/**
 * Client-defined tools: the runner is an MCP server inside the CLI's control channel (measured on
 * 2.1.330, claude-cli.md §5.3). `initialize` names the server; the CLI then asks it, as control
 * requests, to initialize, list its tools, and call one. A call is not answered here: the run
 * parks until the client sends the result, and answering then continues the same turn, so the
 * model gets a real `tool_result`.
 */
import type { ClientTool } from '../../../contract/runner.js'
import type { CliMessage } from './message.js'

export const CLIENT_SERVER = 'client'
/** How the model sees a client tool: `mcp__client__<name>`. */
export const TOOL_PREFIX = `mcp__${CLIENT_SERVER}__`

export const clientToolName = (name: string) =>
  name.startsWith(TOOL_PREFIX) ? name.slice(TOOL_PREFIX.length) : undefined

/** A `tools/call` the CLI is waiting on. */
export type PendingCall = {
  requestId: string
  mcpId: unknown
  toolUseId: string
  name: string
  input: unknown
}

export type ToolOutput = { content: string | unknown[]; isError?: boolean }

const controlResponse = (requestId: string, response: object) =>
  JSON.stringify({
    type: 'control_response',
    response: { subtype: 'success', request_id: requestId, response },
  })

const mcpResult = (requestId: string, id: unknown, result: object) =>
  controlResponse(requestId, { mcp_response: { jsonrpc: '2.0', id, result } })

/**
 * Answers what the CLI asks of the client server. Returns the line to write, or the call the
 * run must wait on (`tools/call`); undefined for anything that is not ours.
 */
export const answerControl = (
  message: CliMessage,
  tools: readonly ClientTool[]
): { line: string } | { call: PendingCall } | undefined => {
  const request = message.request
  if (message.type !== 'control_request' || request?.subtype !== 'mcp_message') return undefined
  const requestId = String(message.request_id)
  const rpc = request.message ?? {}
  switch (rpc.method) {
    case 'initialize':
      return {
        line: mcpResult(requestId, rpc.id, {
          protocolVersion: rpc.params?.protocolVersion ?? '2025-11-25',
          capabilities: { tools: {} },
          serverInfo: { name: CLIENT_SERVER, version: '1' },
        }),
      }
    case 'tools/list':
      return {
        line: mcpResult(requestId, rpc.id, {
          tools: tools.map((tool) => ({
            name: tool.name,
            description: tool.description ?? '',
            inputSchema: tool.inputSchema,
          })),
        }),
      }
    case 'tools/call':
      return {
        call: {
          requestId,
          mcpId: rpc.id,
          toolUseId: String(rpc.params?._meta?.['claudecode/toolUseId'] ?? ''),
          name: String(rpc.params?.name ?? ''),
          input: rpc.params?.arguments ?? {},
        },
      }
    default:
      // Notifications (no id) are acknowledged; an unknown method is an MCP error.
      if (rpc.id === undefined) return { line: controlResponse(requestId, {}) }
      return {
        line: controlResponse(requestId, {
          mcp_response: {
            jsonrpc: '2.0',
            id: rpc.id,
            error: { code: -32601, message: `Method not found: ${rpc.method}` },
          },
        }),
      }
  }
}

/**
 * A content block as MCP content: an image is `{ type, data, mimeType }` there, a document an
 * embedded resource (text, or a base64 blob).
 */
const mcpContent = (block: unknown) => {
  const b = block as {
    type?: string
    title?: string
    source?: { type?: string; data?: string; media_type?: string }
  }
  if (b.type === 'image' && b.source?.type === 'base64') {
    return { type: 'image', data: b.source.data, mimeType: b.source.media_type }
  }
  if (b.type === 'document' && b.source) {
    const uri = `document:///${encodeURIComponent(b.title ?? 'document')}`
    const body = b.source.type === 'text' ? { text: b.source.data } : { blob: b.source.data }
    return { type: 'resource', resource: { uri, mimeType: b.source.media_type, ...body } }
  }
  return block
}

/** The answer to a waiting `tools/call`: the client's result, as MCP content. */
export const toolResultLine = (call: PendingCall, output: ToolOutput) => {
  const content =
    typeof output.content === 'string'
      ? [{ type: 'text', text: output.content }]
      : output.content.map(mcpContent)
  return mcpResult(call.requestId, call.mcpId, {
    content,
    ...(output.isError && { isError: true }),
  })
}
