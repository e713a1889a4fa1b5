/**
 * Strict unsigned decimals for every numeric text form: ASCII digits only, no sign,
 * no surrounding space, and no leading zeros ("010" reads as octal in some tools,
 * so it is refused rather than guessed).
 */

export const U16_MAX = 0xffff
export const U32_MAX = 0xffffffff

const DIGITS = /^[0-9]+$/

/** The value of `s`, or a sentence saying why it is not a decimal in `0..max` (`what` names the field). */
export const decimal = (s: string, max: number, what: string): number | string => {
  if (s.length === 0) return `${what} is empty`
  if (!DIGITS.test(s)) return `${what} ${JSON.stringify(s)} is not a decimal number`
  if (s.length > 1 && s.charCodeAt(0) === 48) return `${what} ${JSON.stringify(s)} has a leading zero`
  // Longer than 10 digits is beyond every range used here; Number() stays exact below that.
  const n = s.length > 10 ? Number.POSITIVE_INFINITY : Number(s)
  if (n > max) return `${what} ${s} is out of range 0..${max}`
  return n
}

export const hex = (bytes: Uint8Array, from: number, to: number): string => {
  let out = ""
  for (let i = from; i < to; i++) out += bytes[i]!.toString(16).padStart(2, "0")
  return out
}
