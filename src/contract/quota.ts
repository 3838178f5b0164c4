/** The subscription quota of a Claude login, as `/llm/status` and the runner protocol carry it. */
import * as v from 'valibot'

/**
 * Names and times as the API spells them (`five_hour`, `allowed_warning`, an ISO 8601 time):
 * they become response headers and metric labels, so nothing else passes (a CR/LF in a header
 * value would break every later answer).
 */
const Word = v.pipe(v.string(), v.regex(/^[a-z0-9_]{1,64}$/, 'a lower-case word'))
const Time = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)$/, 'an ISO 8601 time')
)

export const QuotaWindow = v.object({
  utilization: v.pipe(v.number(), v.finite(), v.description('Share of the window used, 0 to 1.')),
  resets_at: v.nullable(v.pipe(Time, v.description('When the window resets (ISO 8601).'))),
})

export const Quota = v.pipe(
  v.object({
    status: v.pipe(
      Word,
      v.description(
        '`allowed`, `allowed_warning` (close to a limit) or `rejected` (a window is used up).'
      )
    ),
    window: v.nullable(
      v.pipe(Word, v.description('The window that decides: `five_hour`, `seven_day`, …'))
    ),
    resets_at: v.nullable(v.pipe(Time, v.description('When that window resets.'))),
    overage_status: v.nullable(Word),
    overage_disabled_reason: v.nullable(Word),
    using_overage: v.boolean(),
    windows: v.pipe(
      v.record(Word, QuotaWindow),
      v.check((windows) => Object.keys(windows).length <= 16, 'at most 16 windows')
    ),
    seen_at: v.pipe(Time, v.description('When the CLI last reported it.')),
  }),
  v.description(
    "The Claude login's subscription quota as the CLI last reported it (subscription logins only; null until a run has seen it)."
  )
)
export type Quota = v.InferOutput<typeof Quota>
