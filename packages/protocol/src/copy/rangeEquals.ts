/** Whether `b[s..e)` holds exactly the bytes of `v` (the NULL string test of the text and CSV splitters). */
export const rangeEquals = (b: Buffer, s: number, e: number, v: Uint8Array): boolean => {
  if (e - s !== v.length) return false
  for (let k = 0; k < v.length; k++) if (b[s + k] !== v[k]) return false
  return true
}
