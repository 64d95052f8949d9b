/** Limits of the contact form and of bulk contact actions, shared by the server and the console. */
export const MAX_NAME = 200;
export const MAX_ATTRIBUTES = 200;
export const MAX_ATTRIBUTE_KEY = 100;
export const MAX_ATTRIBUTE_VALUE = 1000;
/** Rows one bulk action may change; a larger search is narrowed first (or the pool cleared). */
export const MAX_BULK_CONTACTS = 100_000;
