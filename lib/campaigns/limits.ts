/*
 * The bounds of what a department sets on its campaigns (issue 18), where both the domain's checks
 * and the API's schemas read them: the A/B test, the follow-up to non-openers, the automations.
 */

export const AB_LIMITS = { minVariants: 2, maxVariants: 4, minShare: 2, maxShare: 50, maxWaitHours: 168 } as const;

/** The longest wait a follow-up may take after its original finished, in days. */
export const FOLLOW_UP_MAX_DAYS = 30;

export const AUTOMATION_LIMITS = { maxSteps: 20, maxWaitHours: 24 * 365, maxDaysBefore: 365 } as const;
