// The CLI's own expected errors; main.ts maps them (and the library's) to exit codes.

/** Wrong arguments: exit code 2, reported with the command's usage line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Bad input data (an import file, a Python store): exit code 1, naming the line or item. */
export class DataError extends Error {
  override name = 'DataError';
}
