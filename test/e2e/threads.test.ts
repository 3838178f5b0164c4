/**
 * Anthropic message threads on the real CLI: the SDK's thread helper sends only the new
 * messages, and the model still gets the whole conversation as real turns (a kept session);
 * refusals carry the API's `error_code`, and a replay under a new thread works.
 */
import Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let anthropic: Anthropic
beforeAll(async () => {
  stack = await startTestStack()
  anthropic = new Anthropic({ apiKey: 'unused', baseURL: stack.url, maxRetries: 0 })
})
afterAll(() => stack?.close())
beforeEach(() => stack.mock.reset())

/** The turns the model saw, without the CLI's own system entries. */
const turns = () =>
  (stack.mock.messageRequests().at(-1)?.body.messages ?? [])
    .filter((m) => m.role !== 'system')
    .map((m) => `${m.role}: ${JSON.stringify(m.content)}`)

const create = (body: Record<string, unknown>) =>
  anthropic.beta.messages
    .create({ model: 'haiku', max_tokens: 100, ...body } as never)
    .catch((e: unknown) => e) as Promise<
    Anthropic.Beta.BetaMessage | InstanceType<typeof Anthropic.APIError>
  >

describe('message threads', () => {
  it('keeps the conversation: each turn sends only the new message', async () => {
    const thread = anthropic.beta.messages.thread({ model: 'haiku', max_tokens: 100 })
    const first = await thread.send({ role: 'user', content: 'My name is Ada.' })
    expect(first.content).toEqual([expect.objectContaining({ text: 'ECHO: My name is Ada.' })])
    const second = await thread.send({ role: 'user', content: 'What is my name?' })
    expect(second.content).toEqual([expect.objectContaining({ text: 'ECHO: What is my name?' })])
    const seen = turns()
    expect(seen).toHaveLength(3)
    expect(seen[0]).toContain('My name is Ada.')
    expect(seen[1]).toContain('ECHO: My name is Ada.')
    expect(seen[2]).toContain('What is my name?')
    // The second request carried only the new message.
    expect(stack.mock.messageRequests()).toHaveLength(2)
  })

  it('answers continuing twice, or an unknown reply, with the API’s error codes', async () => {
    const first = (await create({
      messages: [{ role: 'user', content: 'one' }],
      thread: { type: 'create' },
    })) as Anthropic.Beta.BetaMessage
    const next = { type: 'continue', previous_message_id: first.id }
    const again = await create({ messages: [{ role: 'user', content: 'two' }], thread: next })
    expect((again as Anthropic.Beta.BetaMessage).content).toEqual([
      expect.objectContaining({ text: 'ECHO: two' }),
    ])
    const twice = await create({ messages: [{ role: 'user', content: 'three' }], thread: next })
    expect(twice).toBeInstanceOf(Anthropic.BadRequestError)
    expect((twice as InstanceType<typeof Anthropic.APIError>).errorCode).toBe(
      'thread_already_continued'
    )
    const unknown = await create({
      messages: [{ role: 'user', content: 'four' }],
      thread: { type: 'continue', previous_message_id: 'msg_unknown' },
    })
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError)
    expect((unknown as InstanceType<typeof Anthropic.APIError>).errorCode).toBe('thread_not_found')
  })

  it('starts a thread from a replayed conversation (what the SDK sends after a refusal)', async () => {
    const replay = (await create({
      messages: [
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: 'second question' },
      ],
      thread: { type: 'create' },
    })) as Anthropic.Beta.BetaMessage
    expect(replay.content).toEqual([expect.objectContaining({ text: 'ECHO: second question' })])
    const more = (await create({
      messages: [{ role: 'user', content: 'third question' }],
      thread: { type: 'continue', previous_message_id: replay.id },
    })) as Anthropic.Beta.BetaMessage
    expect(more.content).toEqual([expect.objectContaining({ text: 'ECHO: third question' })])
    const seen = turns()
    expect(seen).toHaveLength(5)
    expect(seen[1]).toContain('first answer')
  })
})
