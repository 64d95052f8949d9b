import { reasonsEn, type Reason, type ReasonParams } from "@/lib/i18n/reasons-en";
import { describeReason, isRule } from "@/lib/i18n/describe";

/** Typed application errors: the code decides the HTTP status, the reason the words. */
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
export type { Reason, ReasonParams };

type ErrorOptions = {
  /** Values for the reason's {placeholders}; the console words them in the reader's language. */
  params?: ReasonParams;
  /** The input field at fault: the console puts the message beside it, named by its label. */
  field?: string;
  /** Machine-readable facts for API callers (never words). */
  details?: Record<string, unknown>;
};

/**
 * An error a caller may see. It carries a reason (a key of the server catalogues,
 * lib/i18n/reasons-*.ts) and its parameters, never prose: the API's `message` is the English
 * wording of the reason, and the console words the same reason in the reader's language.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly reason: Reason;
  readonly params: ReasonParams;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, reason: Reason, options: ErrorOptions = {}) {
    const params = options.params ?? {};
    super(englishMessage(reason, params, options.field));
    this.name = "AppError";
    this.code = code;
    this.reason = reason;
    this.params = params;
    if (options.field !== undefined || options.details !== undefined) {
      this.details = { ...(options.field !== undefined ? { field: options.field } : {}), ...options.details };
    }
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  get field(): string | undefined {
    return this.details?.field as string | undefined;
  }
}

/** The API speaks English and names fields by their property name: `scheduledAt: is in the past`. */
function englishMessage(reason: Reason, params: ReasonParams, field: string | undefined): string {
  const text = describeReason(reasonsEn, reason, params);
  return isRule(reason) ? `${field ?? "input"}: ${text}` : text;
}

export const invalidInput = (reason: Reason, options?: ErrorOptions) => new AppError("invalid_input", reason, options);
export const forbidden = (reason: Reason = "forbidden") => new AppError("forbidden", reason);
/** `what` is a key of the catalogues' `what` terms ("task", "pool", …). */
export const notFound = (what: keyof typeof reasonsEn.terms.what) => new AppError("not_found", "notFound", { params: { what } });
export const conflict = (reason: Reason, options?: ErrorOptions) => new AppError("conflict", reason, options);

export type ErrorBody = {
  error: { code: ErrorCode; message: string; reason: Reason; params?: ReasonParams; details?: unknown };
};

/** Turns anything thrown into the public error shape; internals are logged, never shown. */
export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AppError) return { status: error.status, body: bodyOf(error) };
  const code = postgresCode(error);
  if (code === "23505") return { status: 409, body: bodyOf(new AppError("conflict", "alreadyExists")) };
  if (code === "22P02") return { status: 400, body: bodyOf(new AppError("invalid_input", "malformedValue")) };
  console.error("[fanout] unexpected error", error);
  return { status: 500, body: bodyOf(new AppError("internal", "internal")) };
}

function bodyOf(error: AppError): ErrorBody {
  const body: ErrorBody = { error: { code: error.code, message: error.message, reason: error.reason } };
  if (Object.keys(error.params).length > 0) body.error.params = error.params;
  if (error.details !== undefined) body.error.details = error.details;
  return body;
}

/** drizzle wraps driver errors; the SQLSTATE is on the error or its cause. */
function postgresCode(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  return (cause as { code?: string })?.code ?? (error as { code?: string })?.code;
}
