/**
 * The official `openai` client against this server (real CLI, mock Messages API), changing
 * nothing but baseURL and apiKey.
 */
import { join } from 'node:path'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { allProcessesGone, processesIn, removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { lastUserMessage, systemText, userText } from '../../dev-tools/mock-anthropic/server.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { PNG } from '../helpers/png.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let dir: string
let openai: OpenAI
let limitedKey: string
beforeAll(async () => {
  dir = await tempDir('openai')
  const keysFile = join(dir, 'keys')
  const { key } = await createKey(keysFile, { name: 'sdk' })
  limitedKey = (await createKey(keysFile, { name: 'limited', policy: { models: ['haiku'] } })).key
  stack = await startTestStack({ keysFile })
  openai = new OpenAI({ apiKey: key, baseURL: `${stack.url}/v1`, maxRetries: 0 })
})
afterAll(async () => {
  expect(await processesIn(stack.workDir)).toEqual([])
  await stack?.close()
  await removeDir(dir)
})
beforeEach(() => stack.mock.reset())

const lastRequest = () => stack.mock.messageRequests().at(-1)?.body ?? {}

describe('chat.completions with the official openai client', () => {
  it('answers, with usage from the CLI’s counts', async () => {
    const completion = await openai.chat.completions.create({
      model: 'haiku',
      messages: [{ role: 'user', content: 'What is 2+2?' }],
      temperature: 0.2,
      max_tokens: 50,
    })
    expect(completion.object).toBe('chat.completion')
    expect(completion.model).toBe('haiku')
    expect(completion.choices[0]?.message).toMatchObject({
      role: 'assistant',
      content: 'ECHO: What is 2+2?',
    })
    expect(completion.choices[0]?.finish_reason).toBe('stop')
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0)
    expect(completion.usage?.completion_tokens).toBe(2)
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + 2)
  })

  it('streams: role first, deltas as they come, finish_reason, usage, [DONE]', async () => {
    stack.mock.setHandler(() => ({
      kind: 'text',
      text: 'one two three four',
      chunks: 4,
      intervalMs: 300,
    }))
    const stream = await openai.chat.completions.create({
      model: 'haiku',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    const chunks: OpenAI.ChatCompletionChunk[] = []
    const times: number[] = []
    const started = Date.now()
    for await (const chunk of stream) {
      chunks.push(chunk)
      times.push(Date.now() - started)
    }
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant')
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')
    expect(text).toBe('one two three four')
    const contentTimes = chunks.flatMap((c, i) =>
      c.choices[0]?.delta.content ? [times[i] ?? 0] : []
    )
    expect(contentTimes.length).toBeGreaterThanOrEqual(3)
    expect((contentTimes.at(-1) ?? 0) - (contentTimes[0] ?? 0)).toBeGreaterThan(600)
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(true)
    const usage = chunks.at(-1)
    expect(usage?.choices).toEqual([])
    expect(usage?.usage?.completion_tokens).toBe(2)
  })

  it('sends earlier turns as earlier turns, and the system prompt as the system prompt', async () => {
    await openai.chat.completions.create({
      model: 'haiku',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: 'Hello Ada.' },
        { role: 'user', content: [{ type: 'text', text: 'What is my name?' }] },
      ],
    })
    const body = lastRequest()
    expect(systemText(body)).toContain('You are terse.')
    const turns = (body.messages ?? []).filter((m) => m.role !== 'system')
    expect(turns.map((m) => [m.role, userText(m)])).toEqual([
      ['user', 'My name is Ada.'],
      ['assistant', 'Hello Ada.'],
      ['user', 'What is my name?'],
    ])
  })

  it('JSON mode and strict JSON schema', async () => {
    stack.mock.setHandler((request) =>
      (request.body.tools ?? []).some((t) => t.name === 'StructuredOutput') &&
      !JSON.stringify(lastUserMessage(request.body)).includes('tool_result')
        ? { kind: 'tool', name: 'StructuredOutput', input: { city: 'Paris', population: 2 } }
        : { kind: 'text', text: 'done' }
    )
    const object = await openai.chat.completions.create({
      model: 'haiku',
      messages: [{ role: 'user', content: 'A city as JSON' }],
      response_format: { type: 'json_object' },
    })
    expect(JSON.parse(object.choices[0]?.message.content ?? '')).toEqual({
      city: 'Paris',
      population: 2,
    })

    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, population: { type: 'number' } },
      required: ['city', 'population'],
      additionalProperties: false,
    }
    const strict = await openai.chat.completions.create({
      model: 'haiku',
      messages: [{ role: 'user', content: 'A city' }],
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema, strict: true } },
    })
    expect(JSON.parse(strict.choices[0]?.message.content ?? '')).toEqual({
      city: 'Paris',
      population: 2,
    })
    const tool = stack.mock
      .messageRequests()
      .at(-1)
      ?.body.tools?.find((t) => t.name === 'StructuredOutput')
    expect(tool?.input_schema).toMatchObject(schema)
  })

  it('takes base64 images and refuses remote image URLs', async () => {
    await openai.chat.completions.create({
      model: 'haiku',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
            { type: 'text', text: 'What is this?' },
          ],
        },
      ],
    })
    const content = lastUserMessage(lastRequest())?.content as Array<Record<string, unknown>>
    expect(content[0]).toMatchObject({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: PNG },
    })

    const error = await openai.chat.completions
      .create({
        model: 'haiku',
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }],
          },
        ],
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toMatch(
      /remote image URLs are not fetched/
    )
  })

  it('refuses the legacy functions field with a 400 that says to use tools', async () => {
    const error = await openai.chat.completions
      .create({
        model: 'haiku',
        messages: [{ role: 'user', content: 'weather?' }],
        functions: [{ name: 'weather', parameters: { type: 'object' } }],
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toMatch(/use tools/)
    expect(stack.mock.messageRequests()).toHaveLength(0)
  })

  it('lists models', async () => {
    const ids = []
    for await (const model of openai.models.list()) ids.push(model.id)
    expect(ids).toEqual(expect.arrayContaining(['haiku', 'sonnet', 'opus']))
    expect(ids.some((id) => id.startsWith('claude-'))).toBe(true)
  })
})

describe('errors only the openai client has (the shared ones: sdk-dialects.test.ts)', () => {
  it('PermissionDeniedError for a model outside the key policy, NotFoundError for an unknown one', async () => {
    const limited = new OpenAI({ apiKey: limitedKey, baseURL: `${stack.url}/v1`, maxRetries: 0 })
    const denied = await limited.chat.completions
      .create({ model: 'opus', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)
    expect(denied).toBeInstanceOf(OpenAI.PermissionDeniedError)
    const unknown = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError)
    expect((unknown as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found')
  })

  it('BadRequestError for an invalid body, naming the field', async () => {
    const error = await openai.chat.completions
      .create({ model: 'haiku', messages: [] })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as InstanceType<typeof OpenAI.APIError>).param).toBe('messages')
  })

  it('stream.controller.abort() kills the CLI (breaking out: sdk-dialects.test.ts)', async () => {
    stack.mock.setHandler(() => ({
      kind: 'text',
      text: 'a b c d e f',
      chunks: 6,
      intervalMs: 1_000,
    }))
    const second = await openai.chat.completions.create({
      model: 'haiku',
      messages: [{ role: 'user', content: 'y' }],
      stream: true,
    })
    const seen: string[] = []
    // The client ends the iteration (or throws APIUserAbortError) once its controller aborts.
    const error = await (async () => {
      for await (const chunk of second) {
        seen.push(chunk.choices[0]?.delta.content ?? '')
        if (seen.join('')) second.controller.abort()
      }
    })().catch((e: unknown) => e)
    if (error) expect(error).toBeInstanceOf(OpenAI.APIUserAbortError)
    expect(seen.join('')).toBe('a ')
    await allProcessesGone(stack.workDir, 10_000)
  })
})
