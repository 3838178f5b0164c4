/**
 * The benchmark's figures as SVG pictures next to docs/benchmarks.md: latency per mode against a
 * direct cold CLI call, requests at once, and the server's memory with open streams. Written here
 * as plain SVG text (horizontal bars, a handful of rows): a charting library would need a DOM or
 * a canvas in Node for what is a few rectangles and labels.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModeResult } from './modes.js'

type Series = { name: string; color: string }
type Row = { label: string; values: number[]; notes?: string[] }

const xmlText = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')

const COLORS = ['#3b6fd8', '#e08a1e', '#2e9d5b']

/** Horizontal bars: one group per row, one bar per series, the value at its end. */
export const barChart = ({
  title,
  unit,
  series,
  rows,
  caption,
}: {
  title: string
  unit: string
  series: Series[]
  rows: Row[]
  caption?: string
}) => {
  const labelWidth = 330
  const plotWidth = 420
  const bar = 18
  const gap = 10
  const groupHeight = series.length * bar + gap
  const top = 56
  const height = top + rows.length * groupHeight + (caption ? 44 : 24)
  const max = Math.max(1, ...rows.flatMap((r) => r.values))
  const format = (v: number) => `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${unit}`
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 220}" height="${height}" font-family="system-ui, sans-serif" font-size="13" role="img" aria-labelledby="title">`,
    `<title id="title">${xmlText(title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600">${xmlText(title)}</text>`,
    ...series.map(
      (s, i) =>
        `<rect x="${16 + i * 200}" y="36" width="12" height="12" fill="${s.color}"/><text x="${32 + i * 200}" y="46">${xmlText(s.name)}</text>`
    ),
  ]
  rows.forEach((row, r) => {
    const y0 = top + r * groupHeight
    parts.push(
      `<text x="${labelWidth - 8}" y="${y0 + (series.length * bar) / 2 + 4}" text-anchor="end">${xmlText(row.label)}</text>`
    )
    row.values.forEach((value, i) => {
      const width = Math.max(1, (value / max) * plotWidth)
      const y = y0 + i * bar
      const note = row.notes?.[i] ? ` (${row.notes[i]})` : ''
      parts.push(
        `<rect x="${labelWidth}" y="${y}" width="${width.toFixed(1)}" height="${bar - 3}" fill="${series[i]?.color ?? '#888'}"/>`,
        `<text x="${(labelWidth + width + 6).toFixed(1)}" y="${y + bar - 7}">${xmlText(format(value) + note)}</text>`
      )
    })
  })
  if (caption)
    parts.push(
      `<text x="16" y="${height - 14}" fill="#555" font-size="11">${xmlText(caption)}</text>`
    )
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}

export type ChartInput = {
  modes: ModeResult[]
  streams: { idle: number; open: number }
  date: string
}

/** The file names written, relative to `dir`. */
export const CHARTS = {
  latency: 'benchmarks-latency.svg',
  concurrency: 'benchmarks-concurrency.svg',
  memory: 'benchmarks-memory.svg',
} as const

export const writeBenchCharts = async (dir: string, { modes, streams, date }: ChartInput) => {
  const direct = modes[0] as ModeResult
  const ratio = (value: number, base: number) => `${(value / base).toFixed(2)}× direct`
  const caption = `npm run bench, ${date.slice(0, 10)}: the real CLI against the project's mock on 127.0.0.1 (the Python original is not measured here).`
  await writeFile(
    join(dir, CHARTS.latency),
    barChart({
      title: 'One chat, latency per mode (lower is better)',
      unit: 'ms',
      series: [
        { name: 'p50', color: COLORS[0] as string },
        { name: 'p90', color: COLORS[1] as string },
      ],
      rows: modes.map((m) => ({
        label: m.name,
        values: [m.p50, m.p90],
        notes: [ratio(m.p50, direct.p50), ''],
      })),
      caption,
    })
  )
  await writeFile(
    join(dir, CHARTS.concurrency),
    barChart({
      title: 'Requests sent at once: wall time until all answered (lower is better)',
      unit: 'ms',
      series: [
        { name: '8 at once', color: COLORS[0] as string },
        { name: '32 at once', color: COLORS[1] as string },
      ],
      rows: modes.map((m) => ({
        label: m.name,
        values: [m.wall8, m.wall32],
        notes: [ratio(m.wall8, direct.wall8), ratio(m.wall32, direct.wall32)],
      })),
      caption,
    })
  )
  await writeFile(
    join(dir, CHARTS.memory),
    barChart({
      title: "The server's own memory (RSS), CLI processes aside",
      unit: 'MiB',
      series: [{ name: 'RSS', color: COLORS[2] as string }],
      rows: [
        { label: 'idle', values: [streams.idle] },
        { label: 'with 100 open streams', values: [streams.open] },
      ],
      caption,
    })
  )
}

// `tsx scripts/bench/charts.ts`: the pictures again from docs/benchmarks.json, without a run.
if (process.argv[1]?.endsWith('charts.ts')) {
  const { readFile } = await import('node:fs/promises')
  const { fileURLToPath } = await import('node:url')
  const docs = fileURLToPath(new URL('../../docs/', import.meta.url))
  const saved = JSON.parse(await readFile(join(docs, 'benchmarks.json'), 'utf8'))
  await writeBenchCharts(docs, { ...saved, date: saved.machine.date })
}
