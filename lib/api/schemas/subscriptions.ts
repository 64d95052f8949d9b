import { z } from "zod";
import { attributes, departmentIdField, emailField } from "./common";

export const subscribeBody = z.object({
  poolId: z.uuid(),
  email: emailField,
  name: z.string().max(1000).optional(),
  attributes: attributes.optional(),
  doubleOptIn: z.boolean().optional().meta({ description: "Send a confirmation message; the person stays pending until they confirm" }),
});

export const subscribeResult = z.object({ status: z.enum(["subscribed", "pending"]) });

export const unsubscribeBody = z.object({
  email: emailField,
  poolId: z.uuid().optional().meta({ description: "Only this pool; absent: every pool of the department" }),
  departmentId: departmentIdField.meta({ description: "The department to unsubscribe from when a company key names no pool" }),
});

export const unsubscribeResult = z.object({ status: z.literal("unsubscribed") });
