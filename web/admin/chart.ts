/**
 * The 30-day chart: one bar per UTC day (days without runs at zero), of runs, tokens or USD, for
 * one key or all of them. uPlot draws it (bundled into the page: small, fast, no dependencies).
 */
import uPlot from 'uplot'
import type { Usage } from './api.js'

export type Measure = 'runs' | 'tokens' | 'usd'

const DAY_S = 86_400

/** The last `days` UTC days, oldest first, as seconds since the epoch at midnight. */
const lastDays = (days: number, now = Date.now()) => {
  const today = Math.floor(now / 1000 / DAY_S) * DAY_S
  return Array.from({ length: days }, (_, i) => today - (days - 1 - i) * DAY_S)
}

const amountOf = (
  day: { runs: number; input_tokens: number; output_tokens: number; usd: number },
  measure: Measure
) =>
  measure === 'runs'
    ? day.runs
    : measure === 'tokens'
      ? day.input_tokens + day.output_tokens
      : day.usd

/** The series for the chart, and its totals (what the chart adds up to). */
export const seriesOf = (usage: Usage, key: string, measure: Measure) => {
  const days = lastDays(usage.days)
  const values = days.map(() => 0)
  const totals = { runs: 0, tokens: 0, usd: 0 }
  for (const [id, entry] of Object.entries(usage.keys)) {
    if (key && id !== key) continue
    for (const day of entry.days) {
      const at = days.indexOf(Date.parse(`${day.date}T00:00:00Z`) / 1000)
      if (at < 0) continue
      values[at] = (values[at] ?? 0) + amountOf(day, measure)
      totals.runs += day.runs
      totals.tokens += day.input_tokens + day.output_tokens
      totals.usd += day.usd
    }
  }
  return { days, values, totals }
}

export const createHistoryChart = (container: HTMLElement) => {
  let plot: uPlot | undefined
  return (days: number[], values: number[], measure: Measure) => {
    // What the bars add up to, for whoever reads the page without seeing it.
    container.dataset.total = String(values.reduce((sum, value) => sum + value, 0))
    const width = Math.max(300, container.clientWidth)
    const data: uPlot.AlignedData = [days, values]
    if (plot && plot.series[1]?.label === measure) {
      plot.setData(data)
      return
    }
    plot?.destroy()
    plot = new uPlot(
      {
        width,
        height: 220,
        series: [
          {},
          {
            label: measure,
            stroke: '#3b6fd8',
            fill: 'rgba(59, 111, 216, 0.35)',
            paths: uPlot.paths.bars?.({ size: [0.7, 40] }),
            points: { show: false },
          },
        ],
        axes: [{}, { size: 60 }],
        scales: {
          // Half a day either side, so the first and last bars are whole.
          x: { time: true, range: (_, min, max) => [min - DAY_S / 2, max + DAY_S / 2] },
          y: { range: (_, __, max) => [0, max > 0 ? max * 1.15 : 1] },
        },
        legend: { show: false },
      },
      data,
      container
    )
  }
}
