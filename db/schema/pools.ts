import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { departments } from "./accounts";

export const CONTACT_STATUSES = ["active", "pending", "unsubscribed", "bounced", "complained"] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

/** `erased`: the key of an erased address (lib/addresses/erased.ts, decision 0079), never added by hand. */
export const SUPPRESSION_REASONS = ["unsubscribed", "hard_bounce", "complaint", "manual", "erased"] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** Channels beyond e-mail a contact can consent to and be opted out of (issue 21). */
export const CONTACT_CHANNELS = ["sms", "whatsapp", "wecom"] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];

export const CHANNEL_SUPPRESSION_REASONS = ["opted_out", "failed", "manual", "complaint"] as const;
export type ChannelSuppressionReason = (typeof CHANNEL_SUPPRESSION_REASONS)[number];

/** Address pools (地址池): named groups of a department's contacts. */
export const pools = pgTable(
  "pools",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    /** Kept in step with pool_members in the same transactions, so lists never count rows. */
    contactCount: integer("contact_count").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex("pools_department_name_unique").on(table.departmentId, sql`lower(${table.name})`)],
);

/** One row per normalised address per department; a contact may be in several pools or none. */
export const contacts = pgTable(
  "contacts",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    name: text("name").notNull().default(""),
    attributes: jsonb("attributes").$type<Record<string, string>>().notNull().default({}),
    status: text("status", { enum: CONTACT_STATUSES }).notNull().default("active"),
    /**
     * List-hygiene warnings (lib/pools/hygiene/flags.ts: role, disposable, typo, no_mx), set on
     * import; the address is kept and sent to unless someone acts on them.
     */
    hygiene: text("hygiene").array().notNull().default(sql`'{}'::text[]`),
    /** For a `typo`: the address probably meant (ann@gmial.com → ann@gmail.com). */
    hygieneSuggestion: text("hygiene_suggestion"),
    /** E.164 ("+8613800138000"), parsed by lib/channels/phone.ts; null when the contact has none. */
    phone: text("phone"),
    /** The person's WeCom (企业微信) user id, as the company's WeCom knows it. */
    wecomUserId: text("wecom_user_id"),
    /** Channels beyond e-mail the person consented to (CONTACT_CHANNELS); e-mail is governed by status and suppressions. */
    channelConsent: text("channel_consent").array().$type<ContactChannel[]>().notNull().default(sql`'{}'::text[]`),
    /**
     * The newest first open and first click by a person among the contact's deliveries (machines
     * left out; a WhatsApp read counts as an open), kept by lib/feedback/tracking.ts as it sets a
     * delivery's first_open_at / first_click_at. Segments' "opened / clicked in the last N days"
     * read these instead of probing the deliveries of every contact (0078).
     */
    latestOpenAt: timestamp("latest_open_at", { withTimezone: true }),
    latestClickAt: timestamp("latest_click_at", { withTimezone: true }),
    /** True until the search indexer has (re)written this contact's row in contact_search. */
    searchPending: boolean("search_pending").notNull().default(true),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("contacts_department_email_unique").on(table.departmentId, table.email),
    index("contacts_search_pending_idx").on(table.id).where(sql`${table.searchPending}`),
    // Segments (lib/audiences/segments): attribute equals and in compile to `attributes @> {key: value}`,
    // which jsonb_path_ops serves at about a quarter of the default jsonb_ops's cost a row on import
    // (about 1 µs against 4); "present" (`attributes ? key`) is then a filter, not an index lookup (0078).
    index("contacts_attributes_gin").using("gin", sql`${table.attributes} jsonb_path_ops`),
    index("contacts_department_phone_idx").on(table.departmentId, table.phone).where(sql`${table.phone} is not null`),
  ],
);

/**
 * What the search box matches (address, name and attribute values, lower-cased) under a
 * trigram index. Kept apart from contacts and filled in the background, because a trigram
 * index written row by row would slow a million-row import down fivefold.
 */
export const contactSearch = pgTable(
  "contact_search",
  {
    contactId: bigint("contact_id", { mode: "number" })
      .primaryKey()
      .references(() => contacts.id, { onDelete: "cascade" }),
    departmentId: uuid("department_id").notNull(),
    searchText: text("search_text").notNull(),
  },
  (table) => [index("contact_search_trgm").using("gin", sql`${table.searchText} gin_trgm_ops`)],
);

/**
 * Pool membership. No foreign keys on purpose: their per-row triggers cost a third of an
 * import's time. Deleting a pool deletes its rows (lib/pools/pools.ts), and contacts are only
 * deleted when they are in no pool.
 */
export const poolMembers = pgTable(
  "pool_members",
  {
    poolId: uuid("pool_id").notNull(),
    contactId: bigint("contact_id", { mode: "number" }).notNull(),
    addedAt: timestamp("added_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.poolId, table.contactId] }), index("pool_members_contact_idx").on(table.contactId)],
);

/** Addresses a department must not send to; consulted before every send. */
export const suppressions = pgTable(
  "suppressions",
  {
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    reason: text("reason", { enum: SUPPRESSION_REASONS }).notNull(),
    note: text("note").notNull().default(""),
    createdBy: text("created_by").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.departmentId, table.email] }),
    index("suppressions_created_idx").on(table.departmentId, table.createdAt),
    // Whether a department has erased addresses at all: checks skip hashing each address when it has none (lib/addresses/erased.ts).
    index("suppressions_erased_idx").on(table.departmentId).where(sql`${table.reason} = 'erased'`),
  ],
);

/**
 * Numbers and WeCom ids a department must not reach on one channel (opt-outs by reply, failures,
 * by hand). E-mail's list is `suppressions`: suppression is per channel, so an SMS opt-out leaves
 * e-mail and WhatsApp alone.
 */
export const channelSuppressions = pgTable(
  "channel_suppressions",
  {
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    channel: text("channel", { enum: CONTACT_CHANNELS }).notNull(),
    /** E.164 for sms and whatsapp, the WeCom user id for wecom. */
    address: text("address").notNull(),
    reason: text("reason", { enum: CHANNEL_SUPPRESSION_REASONS }).notNull(),
    note: text("note").notNull().default(""),
    createdBy: text("created_by").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.departmentId, table.channel, table.address] }),
    index("channel_suppressions_created_idx").on(table.departmentId, table.channel, table.createdAt),
  ],
);

/** The values a stored reason is worded with (lib/i18n/reasons-en.ts ReasonParams). */
export type StoredReasonParams = Record<string, string | number>;

export type ImportHygieneOptions = { skip: ("role" | "disposable" | "typo")[]; checkMx: boolean };
/** lib/pools/hygiene/tally.ts HygieneTally, as stored. */
export type StoredHygieneTally = {
  flagged: Record<string, number>;
  skipped: Record<string, number>;
  examples: Record<string, { line: number | null; email: string; suggestion?: string }[]>;
  mx: { status: "off" | "pending" | "running" | "done" | "failed"; domains: number; noMail: number; unknown: number };
};

export const IMPORT_STATUSES = ["uploaded", "running", "completed", "failed"] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

export type ImportMapping = {
  emailColumn: number;
  nameColumn: number | null;
  attributeColumns: { index: number; key: string }[];
  /** A column whose cells are tags (`VIP, 上海`), split on , ; | ， ； (decision 0077). */
  tagsColumn?: number | null;
  /** Tags every contact of the import is given ("tag everything imported with …"). */
  tags?: string[];
  /** A column of phone numbers, read in the company's region; a bad one is reported and the contact kept without it. */
  phoneColumn?: number | null;
  /** Channels every contact of the import consented to ("these contacts consented to SMS"). */
  consent?: ContactChannel[];
};

/** An import of a file into a pool; progress and counts are committed with each batch, so it resumes after a restart. */
export const imports = pgTable(
  "imports",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    poolId: uuid("pool_id")
      .notNull()
      .references(() => pools.id, { onDelete: "cascade" }),
    fileName: text("file_name").notNull(),
    format: text("format").notNull(),
    encoding: text("encoding"),
    delimiter: text("delimiter"),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull().default(0),
    status: text("status", { enum: IMPORT_STATUSES }).notNull().default("uploaded"),
    preview: jsonb("preview").$type<string[][]>().notNull().default([]),
    mapping: jsonb("mapping").$type<ImportMapping>(),
    hasHeader: boolean("has_header").notNull().default(true),
    updateExisting: boolean("update_existing").notNull().default(false),
    processedBytes: bigint("processed_bytes", { mode: "number" }).notNull().default(0),
    resumeAfterLine: integer("resume_after_line").notNull().default(0),
    rowsRead: integer("rows_read").notNull().default(0),
    imported: integer("imported").notNull().default(0),
    updated: integer("updated").notNull().default(0),
    duplicates: integer("duplicates").notNull().default(0),
    invalid: integer("invalid").notNull().default(0),
    /** Rows imported without their phone number because it was not one (listed in import_errors beside the invalid rows). */
    badPhones: integer("bad_phones").notNull().default(0),
    /** The importer's hygiene choices: kinds of flagged addresses to skip, and whether to ask DNS for MX afterwards. */
    hygieneOptions: jsonb("hygiene_options").$type<ImportHygieneOptions>().notNull().default({ skip: [], checkMx: false }),
    /** What hygiene found (lib/pools/hygiene/tally.ts), committed with each batch like the counts. */
    hygiene: jsonb("hygiene").$type<StoredHygieneTally>(),
    /** Why it failed: a reason of the catalogues (lib/i18n/reasons-*.ts), or English text in rows older than error_params. */
    error: text("error"),
    errorParams: jsonb("error_params").$type<StoredReasonParams>(),
    /** Set by the process running the import after each batch; a stale one can be taken over. */
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
    /** Who started it, to audit the outcome in their name. */
    operator: jsonb("operator").$type<{ id: string; kind: string; label: string; role: string; ip: string }>(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (table) => [index("imports_department_idx").on(table.departmentId, table.createdAt)],
);

export const importErrors = pgTable(
  "import_errors",
  {
    importId: uuid("import_id")
      .notNull()
      .references(() => imports.id, { onDelete: "cascade" }),
    line: integer("line").notNull(),
    /** A reason of the catalogues, worded in the reader's language; English text in older rows. */
    reason: text("reason").notNull(),
    params: jsonb("params").$type<StoredReasonParams>().notNull().default({}),
    value: text("value").notNull().default(""),
  },
  (table) => [primaryKey({ columns: [table.importId, table.line] })],
);

export type Pool = typeof pools.$inferSelect;
export type Contact = typeof contacts.$inferSelect;
export type Suppression = typeof suppressions.$inferSelect;
export type ChannelSuppression = typeof channelSuppressions.$inferSelect;
export type ImportJob = typeof imports.$inferSelect;
