/**
 * Exit after stdout and stderr are flushed. On a pipe, `process.stdout.write`
 * is asynchronous and `process.exit` drops what is still queued: the last log
 * lines of a stop, or the tail of a large `routes` table. An empty write's
 * callback runs after every earlier write, so exit waits for it (at most 2 s).
 */
export const exit = (code: number): void => {
  process.exitCode = code
  let done = false
  const finish = () => {
    if (done) return
    done = true
    process.exit(code)
  }
  process.stdout.write("", () => process.stderr.write("", finish))
  setTimeout(finish, 2000).unref()
}
