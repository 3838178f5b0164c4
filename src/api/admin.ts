import { Hono } from 'hono'
import { describeRoute, resolver } from 'hono-openapi'
import * as v from 'valibot'
import { PolicyError } from '../errors/index.js'
import type { AppEnv } from '../http/env.js'
import { errorResponse } from '../http/openapi-responses.js'
import { queryParams } from '../http/validation.js'
import { UsageResponse } from '../usage/schemas.js'
import { byShortId, REPORT_DAYS, type UsageStore } from '../usage/store.js'

const UsageQuery = v.object({
  days: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, 'must be a whole number'),
      v.transform(Number),
      v.minValue(1),
      v.maxValue(366),
      v.description('How many days back `days` lists (default 30).')
    ),
    String(REPORT_DAYS)
  ),
})

export const createAdminRoutes = (usage: UsageStore) =>
  new Hono<AppEnv>().get(
    '/usage',
    describeRoute({
      summary: 'Usage per key: today, per day for the last 30 days, and in total',
      description:
        'Runs, tokens and USD per key, from the usage store (kept across restarts on the Node server, shared by every isolate at the edge). Needs a key created with `keys create --admin` when auth is on.',
      responses: {
        200: {
          description: 'Usage keyed by the first 8 characters of each key hash',
          content: { 'application/json': { schema: resolver(UsageResponse) } },
        },
        403: errorResponse('The key is not an admin key'),
      },
    }),
    queryParams(UsageQuery),
    async (c) => {
      if (c.var.apiKey && !c.var.apiKey.policy.admin) {
        throw new PolicyError('This endpoint needs an admin key')
      }
      const { days } = c.req.valid('query')
      const keys = byShortId(await usage.report(days))
      return c.json({ days, keys })
    }
  )
