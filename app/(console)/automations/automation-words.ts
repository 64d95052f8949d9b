import type { AutomationStep, AutomationTrigger } from "@/db/schema";
import { format, type Messages } from "@/lib/i18n";

/*
 * An automation's trigger and steps in a sentence each, for its list, its report and the welcome
 * series' preview. People count steps from 1; the stored branch targets count from 0.
 */

type Words = Messages["automations"];

/** The names of what an automation refers to, as far as the page knows them; unknown reads as deleted. */
export type NameOf = { pool: (id: string) => string | undefined; tag: (id: string) => string | undefined; task: (id: string) => string | undefined; template: (id: string) => string | undefined };

export function triggerInWords(words: Words, trigger: AutomationTrigger, names: NameOf): string {
  const said = words.trigger;
  switch (trigger.type) {
    case "subscribed":
      return format(said.subscribed, { pool: names.pool(trigger.poolId) ?? words.deleted });
    case "tag_added":
      return format(said.tagAdded, { tag: names.tag(trigger.tagId) ?? words.deleted });
    case "clicked":
      return format(said.clicked, { task: names.task(trigger.taskId) ?? words.deleted });
    case "date_attribute": {
      const onTheDay = trigger.daysBefore === 0;
      const sentence = trigger.yearly ? (onTheDay ? said.dateYearlyOnDay : said.dateYearly) : onTheDay ? said.dateOnceOnDay : said.dateOnce;
      return format(sentence, { attribute: trigger.attribute, days: trigger.daysBefore });
    }
  }
}

export function stepInWords(words: Words, step: AutomationStep, names: NameOf): string {
  const said = words.step;
  switch (step.type) {
    case "wait":
      return format(said.wait, { hours: step.hours });
    case "send":
      return format(said.send, { template: names.template(step.templateId) ?? words.deleted });
    case "tag": {
      const changes = [
        step.add.length > 0 ? format(said.tagAdd, { names: step.add.join(said.listSeparator) }) : "",
        step.remove.length > 0 ? format(said.tagRemove, { names: step.remove.join(said.listSeparator) }) : "",
      ].filter(Boolean);
      return format(said.tag, { changes: changes.join(said.changeSeparator) });
    }
    case "branch": {
      const target = (index: number | null) => (index === null ? said.end : format(said.goTo, { step: index + 1 }));
      return format(said.branch, { step: step.sendStep + 1, on: said.on[step.on], notOn: said.notOn[step.on], yes: target(step.yes), no: target(step.no) });
    }
  }
}

/** Names looked up in lists of rows with ids (the builder's options, or the names a page read). */
export function namesFrom(lists: { pools: Iterable<[string, string]>; tags: Iterable<[string, string]>; tasks: Iterable<[string, string]>; templates: Iterable<[string, string]> }): NameOf {
  const maps = { pools: new Map(lists.pools), tags: new Map(lists.tags), tasks: new Map(lists.tasks), templates: new Map(lists.templates) };
  return { pool: (id) => maps.pools.get(id), tag: (id) => maps.tags.get(id), task: (id) => maps.tasks.get(id), template: (id) => maps.templates.get(id) };
}
