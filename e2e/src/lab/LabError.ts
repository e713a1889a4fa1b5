/**
 * Everything that can go wrong while building or driving the lab: a command that
 * failed, a process that died, or a condition that never came true.
 */
import { Data } from "effect"

export class LabError extends Data.TaggedError("LabError")<{
  readonly reason: "Command" | "Process" | "Timeout" | "Setup"
  readonly detail: string
}> {
  override get message(): string {
    return `${this.reason}: ${this.detail}`
  }
}

export const make = (reason: LabError["reason"], detail: string): LabError => new LabError({ reason, detail })
