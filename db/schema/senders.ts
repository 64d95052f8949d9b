import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { departments } from "./accounts";

export const DOMAIN_STATUSES = ["unverified", "verified", "failed"] as const;
export type DomainStatus = (typeof DOMAIN_STATUSES)[number];

/** A department's claim waits for an admin; admins' own domains are approved when added. */
export const DOMAIN_APPROVALS = ["pending", "approved"] as const;
export type DomainApproval = (typeof DOMAIN_APPROVALS)[number];

export type DnsCheck = { record: "spf" | "dkim" | "dmarc" | "return_path"; host: string; expected: string; found: string[]; pass: boolean; detail: string };

/** Sender domains (域名): a department's, or company-wide when department_id is null. */
export const senderDomains = pgTable(
  "sender_domains",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id").references(() => departments.id, { onDelete: "cascade" }),
    domain: text("domain").notNull(),
    status: text("status", { enum: DOMAIN_STATUSES }).notNull().default("unverified"),
    /** Written explicitly by addDomain; the default only keeps domains that existed before claims needed approval. */
    approval: text("approval", { enum: DOMAIN_APPROVALS }).notNull().default("approved"),
    dkimSelector: text("dkim_selector").notNull(),
    /** PEM; read only by the sending code, never selected for a page or an API answer. */
    dkimPrivateKey: text("dkim_private_key").notNull(),
    dkimPublicKey: text("dkim_public_key").notNull(),
    checks: jsonb("checks").$type<DnsCheck[]>().notNull().default([]),
    checkedAt: timestamp("checked_at", { withTimezone: true }),
    resendDomainId: text("resend_domain_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex("sender_domains_domain_unique").on(sql`lower(${table.domain})`), index("sender_domains_department_idx").on(table.departmentId)],
);

/** Sender identities (发件人): an address on a sender domain and a display name. */
export const senders = pgTable(
  "senders",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    domainId: uuid("domain_id")
      .notNull()
      .references(() => senderDomains.id, { onDelete: "restrict" }),
    address: text("address").notNull(),
    name: text("name").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex("senders_department_address_unique").on(table.departmentId, table.address)],
);

/** Company settings the admin changes in the console. */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export type SenderDomain = typeof senderDomains.$inferSelect;
export type Sender = typeof senders.$inferSelect;
