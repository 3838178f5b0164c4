/**
 * GET /v1/models in the shape of whichever SDK asks: Anthropic's when the request carries an
 * `anthropic-version` header (as the Anthropic SDK sends), OpenAI's otherwise.
 */
import { Hono } from 'hono'
import { describeRoute } from 'hono-openapi'
import type { ModelInfo } from '../contract/runner.js'
import type { AppEnv } from '../http/env.js'

const anthropicList = (models: ModelInfo[]) => {
  const data = models.map((m) => ({
    type: 'model',
    id: m.id,
    display_name: m.name,
    created_at: '1970-01-01T00:00:00Z',
  }))
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null }
}

const openAIList = (models: ModelInfo[]) => {
  const ids = [...new Set(models.flatMap((m) => [m.id, m.api_id]))]
  return {
    object: 'list',
    data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'anthropic' })),
  }
}

export const createModelRoutes = () =>
  new Hono<AppEnv>().get(
    '/models',
    describeRoute({
      summary: 'Models (OpenAI list shape; Anthropic shape with an anthropic-version header)',
      tags: ['Compatible'],
    }),
    async (c) => {
      const models = await c.var.runner.models()
      return c.json(c.req.header('anthropic-version') ? anthropicList(models) : openAIList(models))
    }
  )
