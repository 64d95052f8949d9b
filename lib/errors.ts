/** Typed application errors: the code decides the HTTP status and the translated message. */
export const ERROR_STATUS = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  quota_exceeded: 409,
  payload_too_large: 413,
  /** Well-formed, but not something this endpoint can act on (e.g. mail not addressed to a return path). */
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  /** A feature whose secret or setting is missing on this server. */
  not_configured: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const invalidInput = (message: string, details?: unknown) => new AppError("invalid_input", message, details);
export const forbidden = (message = "You are not allowed to do this") => new AppError("forbidden", message);
export const notFound = (what: string) => new AppError("not_found", `${what} not found`);
export const conflict = (message: string, details?: unknown) => new AppError("conflict", message, details);

export type ErrorBody = { error: { code: ErrorCode; message: string; details?: unknown } };

/** Turns anything thrown into the public error shape; internals are logged, never shown. */
export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AppError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    return { status: error.status, body };
  }
  const code = postgresCode(error);
  if (code === "23505") return { status: 409, body: { error: { code: "conflict", message: "That already exists" } } };
  if (code === "22P02") return { status: 400, body: { error: { code: "invalid_input", message: "An id or value is malformed" } } };
  console.error("[fanout] unexpected error", error);
  return { status: 500, body: { error: { code: "internal", message: "Something went wrong on our side" } } };
}

/** drizzle wraps driver errors; the SQLSTATE is on the error or its cause. */
function postgresCode(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  return (cause as { code?: string })?.code ?? (error as { code?: string })?.code;
}
