/** Stable error codes shared by the CLI, the server and the library. */
export const ErrorCodes = {
  USAGE: 2,
  INGEST_BAD_GZIP: 1,
  INGEST_BAD_JSON: 1,
  INGEST_BAD_RECORD: 1,
  INGEST_SOURCE: 1,
  STORE_LOCKED: 1,
  STORE_READ_ONLY: 1,
  STORE_MIGRATION: 1,
  QUERY_INVALID: 1,
  QUERY_NOT_READ_ONLY: 1,
  QUERY_FORBIDDEN: 1,
  QUERY_TIMEOUT: 1,
  QUERY_CANCELLED: 1,
  UNAUTHENTICATED: 1,
  FORBIDDEN: 1,
  PAYLOAD_TOO_LARGE: 1,
  TOO_MANY_EVENTS: 1,
  InvalidLookupAttributesException: 1,
  InvalidTimeRangeException: 1,
  InvalidMaxResultsException: 1,
  InvalidNextTokenException: 1,
  InvalidEventCategoryException: 1,
  RULE_PARSE: 1,
  RULE_INVALID: 1,
  CONFIG_INVALID: 2,
  NOT_FOUND: 1,
  INTERNAL: 1,
} as const;

/** One of the stable error codes. */
export type ErrorCode = keyof typeof ErrorCodes;

/** HTTP statuses for codes that surface through the API. */
const httpStatus: Partial<Record<ErrorCode, number>> = {
  USAGE: 400,
  QUERY_INVALID: 400,
  QUERY_NOT_READ_ONLY: 403,
  QUERY_FORBIDDEN: 403,
  QUERY_TIMEOUT: 408,
  QUERY_CANCELLED: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_EVENTS: 400,
  InvalidLookupAttributesException: 400,
  InvalidTimeRangeException: 400,
  InvalidMaxResultsException: 400,
  InvalidNextTokenException: 400,
  InvalidEventCategoryException: 400,
  RULE_PARSE: 400,
  RULE_INVALID: 400,
  CONFIG_INVALID: 400,
  NOT_FOUND: 404,
  STORE_LOCKED: 503,
};

/** The one error family of aitrail: a stable code, a readable message, an optional cause. */
export class AitrailError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AitrailError';
    this.code = code;
    this.status = httpStatus[code] ?? 500;
  }
  /** The CLI exit code for this error (2 for usage errors, 1 otherwise). */
  get exitCode(): number {
    return ErrorCodes[this.code];
  }
}

/** True when `e` is an AitrailError, optionally with the given code. */
export function isAitrailError(e: unknown, code?: ErrorCode): e is AitrailError {
  return e instanceof AitrailError && (code === undefined || e.code === code);
}

/**
 * A comma-separated list (an option or a query parameter) whose values must each be one of
 * `allowed`; undefined when empty, a usage error naming the allowed values otherwise.
 */
export function choices<T extends string>(text: string | undefined, allowed: readonly T[], what: string): T[] | undefined {
  const list = text?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!list?.length) return undefined;
  for (const x of list) {
    if (!(allowed as readonly string[]).includes(x)) throw new AitrailError('USAGE', `${what} takes ${allowed.join(', ')} (several separated by commas), not '${x}'`);
  }
  return list as T[];
}
