/** Prints rows as aligned columns; the last column is not padded. */
export const printTable = (header: string[], rows: string[][], right: number[] = []) => {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0))
  )
  for (const row of [header, ...rows]) {
    const cells = row.map((cell, i) => {
      if (i === row.length - 1 && !right.includes(i)) return cell
      return right.includes(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)
    })
    console.log(cells.join('  '))
  }
}
