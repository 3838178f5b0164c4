/**
 * Background responses through the official `openai` client (real CLI, mock Messages API): the
 * run goes on when its client leaves, is polled to its end, a stream resumed from
 * `starting_after` continues without gaps or duplicates, and cancel stops the run.
 */
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { allProcessesGone, waitFor } from '../../dev-tools/cli-env.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let openai: OpenAI
beforeAll(async () => {
  stack = await startTestStack()
  openai = new OpenAI({ apiKey: 'unused', baseURL: `${stack.url}/v1`, maxRetries: 0 })
})
afterAll(() => stack?.close())
beforeEach(() => stack.mock.reset())

const TEXT = 'one two three four five six'

describe('background responses', () => {
  it('answer at once, and are polled to completion', async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: TEXT, chunks: 3, intervalMs: 100 }))
    const started = await openai.responses.create({ model: 'haiku', input: 'go', background: true })
    expect(started.status).toBe('in_progress')
    let response = started
    await waitFor(async () => {
      response = await openai.responses.retrieve(started.id)
      return response.status !== 'in_progress'
    })
    expect(response).toMatchObject({ status: 'completed', output_text: TEXT })
    expect(response.usage?.output_tokens).toBe(2)
  })

  it('go on when the client leaves; the stream resumes after the last event it saw', async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: TEXT, chunks: 6, intervalMs: 150 }))
    const first = await openai.responses.create({
      model: 'haiku',
      input: 'go',
      background: true,
      stream: true,
    })
    let id = ''
    let last = -1
    let text = ''
    for await (const event of first) {
      if (event.type === 'response.created') id = event.response.id
      if (event.type === 'response.output_text.delta') text += event.delta
      last = event.sequence_number
      // Leave after the second delta, as a dropped connection would.
      if (
        text.length > 0 &&
        event.type === 'response.output_text.delta' &&
        text !== TEXT.slice(0, 5)
      )
        break
    }
    const resumed = await openai.responses.retrieve(id, { stream: true, starting_after: last })
    const numbers: number[] = []
    let final: OpenAI.Responses.Response | undefined
    for await (const event of resumed) {
      numbers.push(event.sequence_number)
      if (event.type === 'response.output_text.delta') text += event.delta
      if (event.type === 'response.completed') final = event.response
    }
    expect(numbers).toEqual(numbers.map((_, i) => last + 1 + i))
    expect(text).toBe(TEXT)
    expect(final?.output_text).toBe(TEXT)
    // A finished run still replays from the start.
    const again = await openai.responses.retrieve(id, { stream: true, starting_after: -1 })
    let count = 0
    for await (const _ of again) count++
    expect(count).toBe(last + 1 + numbers.length)
  })

  it('cancel stops the run and its CLI process', async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: 'slow', delayMs: 20_000 }))
    const started = await openai.responses.create({ model: 'haiku', input: 'go', background: true })
    const cancelled = await openai.responses.cancel(started.id)
    expect(cancelled.status).toBe('cancelled')
    expect((await openai.responses.retrieve(started.id)).status).toBe('cancelled')
    await allProcessesGone(stack.workDir, 10_000)
  })
})
