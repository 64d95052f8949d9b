import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { isGroup, type Condition, type EngagementEvent, type Group, type Leaf, type Rule } from "./rule";

/*
 * A rule becomes one boolean SQL expression over `contacts c`. Every value the rule carries,
 * attribute keys included, travels as a query parameter; the only SQL text here is fixed.
 * Conditions that name another department's pool, tag or task match nothing: each lookup is
 * filtered by the department the rule is evaluated for.
 */

export type CompileOptions = { departmentId: string; now?: Date };

const DAY_MS = 86_400_000;
const NUMBER_PATTERN = "^[[:space:]]*[-+]?[0-9]+([.][0-9]+)?[[:space:]]*$";
const DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}";

export function compileRule(rule: Rule, options: CompileOptions): SQL {
  return combine(rule.match, rule.conditions.map((condition) => compileCondition(condition, options)));
}

function compileCondition(condition: Condition, options: CompileOptions): SQL {
  if (isGroup(condition)) return compileGroup(condition, options);
  return compileLeaf(condition, options);
}

function compileGroup(group: Group, options: CompileOptions): SQL {
  return combine(group.match, group.conditions.map((leaf) => compileLeaf(leaf, options)));
}

/** All of none is everyone; any of none is no one. */
function combine(match: "all" | "any", parts: SQL[]): SQL {
  if (parts.length === 0) return match === "all" ? sql`true` : sql`false`;
  return sql`(${sql.join(parts, match === "all" ? sql` and ` : sql` or `)})`;
}

function compileLeaf(leaf: Leaf, options: CompileOptions): SQL {
  switch (leaf.field) {
    case "pool": {
      const member = sql`exists (select 1 from pool_members pm join pools p on p.id = pm.pool_id
        where pm.contact_id = c.id and pm.pool_id = ${leaf.value} and p.department_id = ${options.departmentId})`;
      return leaf.op === "in" ? member : sql`not ${member}`;
    }
    case "tag": {
      const tagged = sql`exists (select 1 from contact_tags ct join tags t on t.id = ct.tag_id
        where ct.contact_id = c.id and ct.tag_id = ${leaf.value} and t.department_id = ${options.departmentId})`;
      return leaf.op === "has" ? tagged : sql`not ${tagged}`;
    }
    case "status":
      return leaf.op === "is" ? sql`c.status = ${leaf.value}` : sql`c.status <> ${leaf.value}`;
    case "email":
    case "name":
      return compileText(leaf.field === "email" ? sql`c.email` : sql`c.name`, leaf.op, leaf.field === "email" ? leaf.value.trim().toLowerCase() : leaf.value);
    case "attribute":
      return compileAttribute(leaf, options);
    case "engagement":
      return compileEngagement(leaf, options);
  }
}

/** `contains` is a case-insensitive substring test through strpos, so `%`, `_` and `\` are plain characters. */
function compileText(column: SQL, op: "equals" | "not_equals" | "contains", value: string): SQL {
  if (op === "equals") return sql`${column} = ${value}`;
  if (op === "not_equals") return sql`${column} <> ${value}`;
  return sql`strpos(lower(${column}), lower(${value})) > 0`;
}

function containsPair(key: string, value: string): SQL {
  return sql`c.attributes @> ${JSON.stringify({ [key]: value })}::jsonb`;
}

function compileAttribute(leaf: Extract<Leaf, { field: "attribute" }>, options: CompileOptions): SQL {
  const { key, value } = leaf;
  const raw = sql`(c.attributes ->> ${key})`;
  const asText = typeof value === "string" ? value : "";
  const dateOf = sql`case when ${raw} ~ ${DATE_PATTERN} then left(${raw}, 10) end`;
  const numberOf = sql`case when ${raw} ~ ${NUMBER_PATTERN} then ${raw}::numeric end`;
  const number = sql`${String(value)}::numeric`;
  switch (leaf.op) {
    // Equality and lists go through the GIN index on attributes (containment).
    case "equals":
      return containsPair(key, asText);
    case "not_equals":
      return sql`not ${containsPair(key, asText)}`;
    case "in":
      return sql`(${sql.join((value as string[]).map((one) => containsPair(key, one)), sql` or `)})`;
    case "contains":
      return sql`strpos(lower(${raw}), lower(${asText})) > 0`;
    case "gt":
      return sql`${numberOf} > ${number}`;
    case "gte":
      return sql`${numberOf} >= ${number}`;
    case "lt":
      return sql`${numberOf} < ${number}`;
    case "lte":
      return sql`${numberOf} <= ${number}`;
    // Dates written YYYY-MM-DD (a time may follow) compare as text, so a malformed value never fails the query.
    case "before":
      return sql`${dateOf} < ${asText}`;
    case "after":
      return sql`${dateOf} > ${asText}`;
    case "within_days": {
      const now = options.now ?? new Date();
      const since = new Date(now.getTime() - Number(value) * DAY_MS).toISOString().slice(0, 10);
      return sql`${dateOf} between ${since} and ${now.toISOString().slice(0, 10)}`;
    }
    case "present":
      return sql`(c.attributes ? ${key} and ${raw} <> '')`;
    case "absent":
      return sql`not (c.attributes ? ${key} and ${raw} <> '')`;
  }
}

/** What each event means on a delivery, and when it happened. Opens and clicks are people's (machines are counted apart). */
const EVENTS: Record<EngagementEvent, { happened: SQL; at: SQL }> = {
  opened: { happened: sql`d.first_open_at is not null`, at: sql`d.first_open_at` },
  clicked: { happened: sql`d.first_click_at is not null`, at: sql`d.first_click_at` },
  sent: { happened: sql`d.sent_at is not null and (d.status in ('sent', 'delivered') or d.bounced_at is not null)`, at: sql`d.sent_at` },
  bounced: { happened: sql`d.status = 'failed' and d.sent_at is not null`, at: sql`coalesce(d.bounced_at, d.sent_at)` },
};

/** A person's opens and clicks in any task: the contact's newest first one (contacts.latest_open_at, latest_click_at) says it. */
const LATEST: Partial<Record<EngagementEvent, SQL>> = { opened: sql`c.latest_open_at`, clicked: sql`c.latest_click_at` };

function compileEngagement(leaf: Extract<Leaf, { field: "engagement" }>, options: CompileOptions): SQL {
  const event = EVENTS[leaf.event];
  const since = leaf.days === undefined ? undefined : new Date((options.now ?? new Date()).getTime() - leaf.days * DAY_MS).toISOString();
  const latest = LATEST[leaf.event];
  if (latest && leaf.taskId === undefined && leaf.url === undefined) {
    // One comparison on the contact's row instead of a probe of its deliveries: a delivery first opened
    // (clicked) since then exists exactly when the newest first open (click) is since then.
    const happened = since ? sql`coalesce(${latest} >= ${since}::timestamptz, false)` : sql`(${latest} is not null)`;
    return leaf.op === "did" ? happened : sql`not ${happened}`;
  }
  const parts: SQL[] = [sql`d.contact_id = c.id`, sql`d.department_id = ${options.departmentId}`];
  if (leaf.taskId !== undefined) parts.push(sql`d.task_id = ${leaf.taskId}`);
  if (leaf.url === undefined) {
    parts.push(event.happened);
    if (since) parts.push(sql`${event.at} >= ${since}::timestamptz`);
  } else {
    // A given link: a click by a person on that URL (delivery_events.detail.url), in the window when there is one.
    const window = since ? sql`and e.occurred_at >= ${since}::timestamptz` : sql``;
    parts.push(sql`exists (select 1 from delivery_events e where e.delivery_id = d.id and e.type = 'clicked' and not e.machine
      and e.detail ->> 'url' = ${leaf.url} ${window})`);
  }
  const happened = sql`exists (select 1 from deliveries d where ${sql.join(parts, sql` and `)})`;
  return leaf.op === "did" ? happened : sql`not ${happened}`;
}
