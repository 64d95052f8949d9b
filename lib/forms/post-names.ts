/** The names a hosted form posts, shared by the page, the snippet and the submission. */

/** The hidden field a person never sees and a form-filling bot fills. */
export const HONEYPOT_FIELD = "website";
/** The posted name of a form field: prefixed, so no attribute can take the address's, the name's or the honeypot's name. */
export const fieldName = (attribute: string) => `field.${attribute}`;
/** What a ticked consent box posts. */
export const CONSENT_VALUE = "yes";
