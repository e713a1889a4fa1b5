/**
 * The one error of the text forms: which kind of text failed, the text as given,
 * and a sentence saying what is wrong (and, where it can, what was probably meant).
 */
import { Data, Either } from "effect"

export type TextErrorReason =
  | "Prefix"
  | "Address"
  | "Community"
  | "LargeCommunity"
  | "ExtendedCommunity"
  | "AsPath"
  | "Asn"
  | "Origin"

export class TextError extends Data.TaggedError("TextError")<{
  readonly reason: TextErrorReason
  readonly input: string
  readonly detail: string
}> {
  override get message(): string {
    return `invalid ${this.reason} ${JSON.stringify(this.input)}: ${this.detail}`
  }
}

/** Parsers return this: `Either.right(value)` or `Either.left(TextError)`, never a throw. */
export type Parsed<A> = Either.Either<A, TextError>

export const fail = (reason: TextErrorReason, input: string, detail: string): Parsed<never> =>
  Either.left(new TextError({ reason, input, detail }))
