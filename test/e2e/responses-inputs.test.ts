/**
 * What a Responses input carries besides text (real CLI, mock Messages API): an `input_image`
 * and an `input_file` (data URLs) reach the model as an image and a document; a stored file or a
 * remote URL, which this server cannot fetch, is refused by field.
 */
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { lastUserMessage } from '../../dev-tools/mock-anthropic/server.js'
import { PDF } from '../helpers/pdf.js'
import { PNG } from '../helpers/png.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let openai: OpenAI
beforeAll(async () => {
  stack = await startTestStack()
  openai = new OpenAI({ apiKey: 'unused', baseURL: `${stack.url}/v1`, maxRetries: 0 })
})
afterAll(() => stack?.close())
beforeEach(() => stack.mock.reset())

const blocksAtModel = () => {
  const last = stack.mock.messageRequests().at(-1)?.body
  const content = last ? lastUserMessage(last)?.content : undefined
  return (Array.isArray(content) ? content : []) as Array<Record<string, unknown>>
}

describe('Responses input parts', () => {
  it('an input_image and an input_file reach the model as an image and a document', async () => {
    const response = await openai.responses.create({
      model: 'haiku',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_image', image_url: `data:image/png;base64,${PNG}`, detail: 'auto' },
            {
              type: 'input_file',
              filename: 'spec.pdf',
              file_data: `data:application/pdf;base64,${PDF}`,
            },
            { type: 'input_text', text: 'What are these?' },
          ],
        },
      ],
    })
    expect(response.status).toBe('completed')
    const blocks = blocksAtModel()
    expect(blocks.find((b) => b.type === 'image')?.source).toEqual({
      type: 'base64',
      media_type: 'image/png',
      data: PNG,
    })
    expect(blocks.find((b) => b.type === 'document')?.source).toEqual({
      type: 'base64',
      media_type: 'application/pdf',
      data: PDF,
    })
  })

  it('a stored file or a remote image is refused by field, before any run', async () => {
    const refused = (content: OpenAI.Responses.ResponseInputMessageContentList) =>
      openai.responses
        .create({ model: 'haiku', input: [{ role: 'user', content }] })
        .catch((e: unknown) => e)
    const byId = await refused([{ type: 'input_file', file_id: 'file-1' }])
    expect(byId).toBeInstanceOf(OpenAI.BadRequestError)
    expect(String((byId as Error).message)).toMatch(/input\.0\.content\.0: only file_data/)
    const remote = await refused([
      { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'auto' },
    ])
    expect(remote).toBeInstanceOf(OpenAI.BadRequestError)
    expect(String((remote as Error).message)).toMatch(/input\.0\.content\.0\.image_url/)
    expect(stack.mock.messageRequests()).toHaveLength(0)
  })
})
