/**
 * The rules an SMTP account's fields follow, free of the database so the console's forms can word
 * a refusal with the same numbers the server checked.
 */
export const USERNAME_RULE = /^[a-z0-9._@+-]{3,64}$/;

/** The largest limits an account may be given; empty (null) is no limit. */
export const LIMIT_BOUNDS = { messagesPerMinute: 100_000, maxRecipients: 10_000 } as const;

/** At most this many client IP ranges per account: a list longer than this belongs in a firewall. */
export const MAX_IP_RANGES = 50;
