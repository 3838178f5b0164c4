import { Hono } from 'hono'
import { describeRoute } from 'hono-openapi'
import type { UsageTracker } from '../auth/usage.js'
import { PolicyError } from '../errors.js'
import type { AppEnv } from '../http/env.js'
import { errorResponse } from '../http/openapi-responses.js'

export const createAdminRoutes = (usage: UsageTracker) =>
  new Hono<AppEnv>().get(
    '/usage',
    describeRoute({
      summary: 'Usage per key since the server started (runs, tokens, USD; today and total)',
      description: 'Needs a key created with `keys create --admin` when auth is on.',
      responses: {
        200: { description: 'Usage keyed by the first 8 characters of each key hash' },
        403: errorResponse('The key is not an admin key'),
      },
    }),
    (c) => {
      if (c.var.apiKey && !c.var.apiKey.policy.admin) {
        throw new PolicyError('This endpoint needs an admin key')
      }
      const keys = Object.fromEntries(
        Object.entries(usage.snapshot()).map(([id, u]) => [
          id === 'anonymous' ? id : id.slice(0, 8),
          u,
        ])
      )
      return c.json({ keys })
    }
  )
