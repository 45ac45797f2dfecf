/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`): self time by function and
 * by package/file, so a hot spot is one command away.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/codec-decode.mjs --variant oursViews --rounds 60
 *   node bench/profile-summary.mjs /tmp/prof/*.cpuprofile [--top 25]
 */
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "25" } } })
if (positionals.length !== 1) {
  console.error("usage: node bench/profile-summary.mjs <file.cpuprofile> [--top N]")
  process.exit(2)
}
const top = Number(args.top)
const profile = JSON.parse(readFileSync(positionals[0], "utf8"))
const nodes = new Map(profile.nodes.map((n) => [n.id, n]))

// Sample time per node id.
const perNode = new Map()
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]
  perNode.set(id, (perNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
}

const shortUrl = (url) =>
  url
    .replace(/^file:\/\//, "")
    .replace(/^.*\/node_modules\//, "node_modules/")
    .replace(/^.*\/(packages|examples|bench)\//, "$1/")

const packageOf = (url) => {
  const u = shortUrl(url)
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)
  if (m) return m[1]
  if (/^(packages|examples)\//.test(u)) return u.split("/").slice(0, 2).join("/")
  return u === "" ? "(native/vm)" : u.startsWith("node:") ? "node internals" : u
}

const byFunction = new Map()
const byPackage = new Map()
let total = 0
for (const [id, us] of perNode) {
  const cf = nodes.get(id).callFrame
  const fn = `${cf.functionName || "(anonymous)"} ${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ""}`
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us)
  const pkg = cf.url ? packageOf(cf.url) : cf.functionName
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us)
  total += us
}

const print = (title, map) => {
  console.log(`\n${title}`)
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(us / 1000).toFixed(1).padStart(10)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`)
  }
}
console.log(`total ${(total / 1000).toFixed(0)} ms sampled`)
print("self time by package", byPackage)
print("self time by function", byFunction)
