/** The subscription quota of a Claude login, as `/llm/status` and the runner protocol carry it. */
import * as v from 'valibot'

export const QuotaWindow = v.object({
  utilization: v.pipe(v.number(), v.description('Share of the window used, 0 to 1.')),
  resets_at: v.nullable(v.pipe(v.string(), v.description('When the window resets (ISO 8601).'))),
})

export const Quota = v.pipe(
  v.object({
    status: v.pipe(
      v.string(),
      v.description(
        '`allowed`, `allowed_warning` (close to a limit) or `rejected` (a window is used up).'
      )
    ),
    window: v.nullable(
      v.pipe(v.string(), v.description('The window that decides: `five_hour`, `seven_day`, …'))
    ),
    resets_at: v.nullable(v.pipe(v.string(), v.description('When that window resets.'))),
    overage_status: v.nullable(v.string()),
    overage_disabled_reason: v.nullable(v.string()),
    using_overage: v.boolean(),
    windows: v.record(v.string(), QuotaWindow),
    seen_at: v.pipe(v.string(), v.description('When the CLI last reported it.')),
  }),
  v.description(
    "The Claude login's subscription quota as the CLI last reported it (subscription logins only; null until a run has seen it)."
  )
)
export type Quota = v.InferOutput<typeof Quota>
