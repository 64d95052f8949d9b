import "server-only";
import { z } from "zod";
import { DOMAIN_STATUSES } from "@/db/schema";

export const sender = z
  .object({ id: z.string(), address: z.string(), name: z.string(), domain: z.string(), domainStatus: z.enum(DOMAIN_STATUSES), departmentId: z.string() })
  .meta({ id: "Sender" });

export const senderList = z.array(sender);
