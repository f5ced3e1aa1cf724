// Where a command's output goes. The bin wires it to the process; tests capture it in memory.

export interface CliIo {
  /** Standard output: results and --json objects. */
  out(text: string): void;
  /** Standard error: the one-line reason a command failed, warnings. */
  err(text: string): void;
  /** Progress bars are drawn only on an interactive terminal. */
  isTTY: boolean;
  /** The stream progress bars draw on (a terminal). */
  progressStream?: NodeJS.WritableStream;
}

export function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    isTTY: Boolean(process.stderr.isTTY),
    progressStream: process.stderr,
  };
}

/** An in-memory sink, for running the CLI inside tests and tools. */
export function captureIo(): CliIo & { stdout: () => string; stderr: () => string } {
  let stdout = "";
  let stderr = "";
  return {
    out: (text) => void (stdout += text),
    err: (text) => void (stderr += text),
    isTTY: false,
    stdout: () => stdout,
    stderr: () => stderr,
  };
}
