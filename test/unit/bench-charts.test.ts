/** The benchmark's SVG pictures: a bar per value, scaled to the largest, labels escaped. */
import { describe, expect, it } from 'vitest'
import { barChart } from '../../scripts/bench/charts.js'

describe('barChart', () => {
  it('draws one bar per value, the largest full width, with its value and note', () => {
    const svg = barChart({
      title: 'A & B <latency>',
      unit: 'ms',
      series: [
        { name: 'p50', color: '#111' },
        { name: 'p90', color: '#222' },
      ],
      rows: [
        { label: 'direct', values: [300, 400], notes: ['1.00× direct', ''] },
        { label: 'server', values: [30, 50] },
      ],
    })
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    expect(svg).toContain('A &amp; B &lt;latency&gt;')
    const widths = [...svg.matchAll(/<rect x="330" y="\d+" width="([\d.]+)"/g)].map((m) =>
      Number(m[1])
    )
    expect(widths).toEqual([315, 420, 31.5, 52.5])
    expect(svg).toContain('300 ms (1.00× direct)')
    expect(svg).toContain('30.0 ms')
  })
})
