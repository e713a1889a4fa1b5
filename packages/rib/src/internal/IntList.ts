/** A growable list of 32-bit integers (no boxing, amortised O(1) push). */
export class IntList {
  data: Int32Array
  length = 0

  constructor(capacity = 16) {
    this.data = new Int32Array(capacity)
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2)
      d.set(this.data)
      this.data = d
    }
    this.data[this.length++] = v
  }

  /** Empty the list; a list that grew large (a big batch) gives its memory back. */
  clear(): void {
    this.length = 0
    if (this.data.length > 65536) this.data = new Int32Array(1024)
  }
}
