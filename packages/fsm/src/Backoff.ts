/**
 * Idle-hold backoff (RFC 4271 §8.1.1 DampPeerOscillations: the method is left
 * to implementations) and RFC 4271 §10 jitter, as pure functions. Randomness
 * comes in as a number in [0, 1): `nextRandom` is a small deterministic
 * generator whose state lives in `State.seed`, so `transition` stays pure.
 */

export interface Policy {
  /** Seconds to wait after the first failure. */
  readonly initial: number
  /** Seconds the doubling never exceeds. */
  readonly max: number
}

/**
 * Seconds of idle hold after `failures` consecutive failures: `initial` for
 * the first (and for 0), doubling on each further one, capped at `max`.
 */
export const delay = (policy: Policy, failures: number): number => {
  const doublings = Math.min(Math.max(failures - 1, 0), 30)
  return Math.min(policy.max, policy.initial * 2 ** doublings)
}

/** RFC 4271 §10: multiply by a factor uniformly distributed in [0.75, 1.0]; `random` is in [0, 1). */
export const jitter = (value: number, random: number): number => value * (0.75 + 0.25 * random)

/**
 * One step of mulberry32: a uniform number in [0, 1) and the next seed. Not
 * cryptographic; it only spreads timers so that peers do not synchronise.
 */
export const nextRandom = (seed: number): readonly [random: number, seed: number] => {
  const next = (seed + 0x6d2b79f5) >>> 0
  let t = next
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, next]
}
