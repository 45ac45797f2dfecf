/**
 * Result rows shared by every benchmark: `{ name, unit, ours, peer, peerName, note }`.
 * A benchmark prints its own table and, as its last line, `BENCH_RESULT <json>`
 * so bench/run.mjs can gather every row into one summary.
 */

export const RESULT_MARKER = "BENCH_RESULT "

/** Formats a number with thousands separators and a sensible number of digits. */
export const fmt = (v) => {
  if (v === undefined || v === null) return "-"
  if (typeof v === "string") return v
  if (!Number.isFinite(v)) return String(v)
  const abs = Math.abs(v)
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2
  return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** ours / peer for higher-is-better units, peer / ours for lower-is-better ones. */
export const ratio = (row) => {
  if (typeof row.ours !== "number" || typeof row.peer !== "number") return undefined
  return row.lowerIsBetter ? row.peer / row.ours : row.ours / row.peer
}

export const fmtRatio = (row) => {
  const r = ratio(row)
  return r === undefined ? "-" : `${r.toFixed(2)}x`
}

/** Prints rows as an aligned table: name, ours, peer, ratio (and the peer's name). */
export const printTable = (title, rows, write = (s) => process.stdout.write(s)) => {
  const header = ["name", "unit", "ours", "peer", "ratio", "peer is"]
  const lines = rows.map((r) => [r.name, r.unit ?? "-", fmt(r.ours), fmt(r.peer), fmtRatio(r), r.peerName ?? "-"])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)))
  const line = (cells) =>
    cells.map((c, i) => (i >= 2 && i <= 4 ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join("  ")
  write(`\n${title}\n`)
  write(line(header) + "\n")
  write(widths.map((w) => "-".repeat(w)).join("  ") + "\n")
  for (const l of lines) write(line(l) + "\n")
  write("(ratio > 1 means ours is better: ours/peer for rates, peer/ours for times and memory)\n")
  const notes = rows.filter((r) => r.note || r.skipped)
  if (notes.length > 0) {
    write("\n")
    for (const r of notes) write(`  ${r.name}: ${r.skipped ? `SKIPPED: ${r.skipped}` : r.note}\n`)
  }
}

export const emitResult = (rows) => {
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(rows)}\n`)
}
