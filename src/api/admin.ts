/**
 * What operators read (admin keys only): per-key usage with each key's limits, and the server's
 * state now — capacity, CLI processes, the login's quota, runner hosts, the runs in flight and
 * recent failures. The dashboard (`GET /admin`) and the command line read these.
 */
import { Hono } from 'hono'
import { describeRoute, resolver } from 'hono-openapi'
import * as v from 'valibot'
import type { KeySource } from '../auth/middleware.js'
import { AdminStatusResponse } from '../contract/admin.js'
import { UsageResponse } from '../contract/usage.js'
import { PolicyError } from '../errors/index.js'
import type { AppEnv } from '../http/env.js'
import { errorResponse } from '../http/openapi-responses.js'
import { queryParams } from '../http/validation.js'
import { byShortId, REPORT_DAYS, type UsageStore } from '../usage/store.js'
import type { Activity } from './activity.js'

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

export const createAdminRoutes = (usage: UsageStore, activity: Activity, keys?: KeySource) =>
  new Hono<AppEnv>()
    .use(async (c, next) => {
      if (c.var.apiKey && !c.var.apiKey.policy.admin) {
        throw new PolicyError('This endpoint needs an admin key')
      }
      await next()
    })
    .get(
      '/usage',
      describeRoute({
        summary: 'Usage per key: today, per day for the last 30 days, and in total',
        description:
          "Runs, tokens and USD per key, from the usage store (kept across restarts on the Node server, shared by every isolate at the edge), with each known key's daily budget and concurrency. Needs a key created with `keys create --admin` when auth is on.",
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
        const { days } = c.req.valid('query')
        const report = await usage.report(days)
        const listed = new Map(
          (keys ? (await keys.load()).records : []).map((record) => [record.hash, record])
        )
        for (const [id, entry] of Object.entries(report)) {
          // A key store that is looked up, not listed (Workers KV), is asked for each key.
          const record = listed.get(id) ?? (await keys?.find?.(id))
          if (!record) continue
          entry.limits = {
            daily_usd: record.policy.daily_usd ?? null,
            max_concurrent: record.policy.max_concurrent ?? null,
          }
        }
        return c.json({ days, keys: byShortId(report) })
      }
    )
    .get(
      '/status',
      describeRoute({
        summary: 'The server now: capacity, processes, quota, hosts, runs in flight, failures',
        description:
          "`/llm/status` with everything shown, the runs in flight (per key) and the last hour's failures by type, as this server process sees them (at the edge: the isolate that answers).",
        responses: {
          200: {
            description: 'The server now',
            content: { 'application/json': { schema: resolver(AdminStatusResponse) } },
          },
          403: errorResponse('The key is not an admin key'),
        },
      }),
      async (c) => {
        const runs = activity.runs()
        const shares: Record<string, number> = {}
        for (const run of runs) shares[run.key] = (shares[run.key] ?? 0) + 1
        return c.json({
          status: await c.var.runner.status(),
          runs,
          shares,
          errors: activity.errors(),
        })
      }
    )
