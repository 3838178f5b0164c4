/** Chat Completions response bodies: the completion, its chunks and its usage. */
import type { RunResult, ToolCall } from '../../contract/runner.js'
import { cutAtLimit } from '../../run/result.js'

/** A client tool call as OpenAI writes it: the arguments as a JSON string. */
export const toolCallOf = (call: ToolCall) => ({
  id: call.id,
  type: 'function' as const,
  function: { name: call.name, arguments: JSON.stringify(call.input ?? {}) },
})

/**
 * `length` at a limit (the token cap, or the key's budget spent mid-way), `tool_calls` when the
 * run waits for the client's tools, else `stop`.
 */
export const finishReason = (result: RunResult) =>
  cutAtLimit(result) ? 'length' : result.toolCalls?.length ? 'tool_calls' : 'stop'

export const completionId = () => `chatcmpl-${crypto.randomUUID()}`

export const usageOf = (result: RunResult) => {
  const u = result.usage
  const prompt = u ? u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens : 0
  const completion = u?.output_tokens ?? 0
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: u?.cache_read_input_tokens ?? 0 },
  }
}

export const completionBody = (model: string, result: RunResult) => ({
  id: completionId(),
  object: 'chat.completion',
  created: Math.floor(Date.now() / 1000),
  model,
  system_fingerprint: null,
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: result.toolCalls?.length && !result.text ? null : result.text,
        refusal: null,
        // Where OpenAI-style clients (DeepSeek's convention) look for the model's thinking.
        ...(result.thinking && {
          reasoning_content: result.thinking.map((block) => block.thinking).join('\n\n'),
        }),
        ...(result.toolCalls?.length && { tool_calls: result.toolCalls.map(toolCallOf) }),
      },
      finish_reason: finishReason(result),
      logprobs: null,
    },
  ],
  usage: usageOf(result),
})
