import { Hono } from 'hono'
import { describeRoute, resolver } from 'hono-openapi'
import type { AppEnv } from '../http/env.js'
import { ModelsResponse, StatusResponse } from '../run/schemas.js'

export const createInfoRoutes = () =>
  new Hono<AppEnv>()
    .get(
      '/status',
      describeRoute({
        summary: 'Is the Claude Code CLI available, which one, and how busy is the server',
        responses: {
          200: {
            description: 'CLI and capacity status',
            content: { 'application/json': { schema: resolver(StatusResponse) } },
          },
        },
      }),
      async (c) => c.json(await c.var.runner.status())
    )
    .get(
      '/models',
      describeRoute({
        summary: 'Model aliases, the ids they resolve to with this CLI, and prices',
        responses: {
          200: {
            description: 'Model list',
            content: { 'application/json': { schema: resolver(ModelsResponse) } },
          },
        },
      }),
      async (c) => c.json({ models: await c.var.runner.models() })
    )
