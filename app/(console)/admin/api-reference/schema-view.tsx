import { format, type Messages } from "@/lib/i18n";

/** A JSON Schema as the generated OpenAPI document gives it (only what the reference shows). */
export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

export type SchemaCatalogue = Record<string, JsonSchema>;

/** A `#/components/schemas/X` reference followed, with the component's name kept. */
export function resolve(schema: JsonSchema, components: SchemaCatalogue): { schema: JsonSchema; name?: string } {
  if (!schema.$ref) return { schema };
  const name = schema.$ref.split("/").at(-1)!;
  return { schema: components[name] ?? {}, name };
}

/** One line saying what a value is: "string (uuid), at most 100 characters", "one of: a, b", "array of Pool". */
export function typeLine(schema: JsonSchema, components: SchemaCatalogue, t: Messages["apiReference"]): string {
  const { schema: resolved, name } = resolve(schema, components);
  if (name) return name;
  if (resolved.const !== undefined) return JSON.stringify(resolved.const);
  if (resolved.enum) return `${t.oneOf} ${resolved.enum.map((value) => String(value)).join(", ")}`;
  const alternatives = resolved.anyOf ?? resolved.oneOf;
  if (alternatives) return alternatives.map((alternative) => typeLine(alternative, components, t)).join(` ${t.or} `);
  const types = Array.isArray(resolved.type) ? resolved.type : resolved.type ? [resolved.type] : [];
  let line = types.join(` ${t.or} `) || t.anyValue;
  if (types.includes("array") && resolved.items) line = `${t.arrayOf} ${typeLine(resolved.items, components, t)}`;
  if (resolved.format) line += ` (${resolved.format})`;
  const count = (value: number) => value.toLocaleString("en-US");
  const limits = [
    resolved.minimum !== undefined ? `≥ ${count(resolved.minimum)}` : null,
    resolved.exclusiveMinimum !== undefined ? `> ${count(resolved.exclusiveMinimum)}` : null,
    resolved.maximum !== undefined ? `≤ ${count(resolved.maximum)}` : null,
    resolved.minLength !== undefined && resolved.minLength > 1 ? format(t.minLength, { n: count(resolved.minLength) }) : null,
    resolved.maxLength !== undefined ? format(t.maxLength, { n: count(resolved.maxLength) }) : null,
    resolved.minItems !== undefined && resolved.minItems > 0 ? format(t.minItems, { n: count(resolved.minItems) }) : null,
    resolved.maxItems !== undefined ? format(t.maxItems, { n: count(resolved.maxItems) }) : null,
    resolved.default !== undefined ? `${t.defaultValue} ${JSON.stringify(resolved.default)}` : null,
  ].filter(Boolean);
  return limits.length > 0 ? `${line}; ${limits.join(", ")}` : line;
}

/** The fields of an object schema (and of objects inside it), each with its type, whether it is required and its description. */
export function SchemaView({ schema, components, t, depth = 0 }: { schema: JsonSchema; components: SchemaCatalogue; t: Messages["apiReference"]; depth?: number }) {
  const { schema: resolved } = resolve(schema, components);
  const object = resolved.items ? resolve(resolved.items, components).schema : resolved;
  const properties = object.properties;
  if (!properties || depth > 3) {
    return <p className="font-mono text-xs text-slate-700 break-words">{typeLine(schema, components, t)}</p>;
  }
  const required = new Set(object.required ?? []);
  return (
    <div className="space-y-1">
      {resolved.items ? <p className="text-xs text-slate-500">{t.arrayOfItems}</p> : null}
      <ul className={`space-y-1.5 ${depth > 0 ? "border-l border-slate-200 pl-3" : ""}`}>
        {Object.entries(properties).map(([name, property]) => {
          const inner = resolve(property, components).schema;
          const nested = inner.properties || (inner.items && resolve(inner.items, components).schema.properties);
          return (
            <li key={name} className="text-sm">
              <div className="flex flex-wrap items-baseline gap-x-2">
                <code className="font-mono text-xs font-semibold text-slate-900">{name}</code>
                <span className="font-mono text-xs text-slate-600 break-all">{typeLine(property, components, t)}</span>
                <span className={`text-xs ${required.has(name) ? "text-amber-800" : "text-slate-500"}`}>{required.has(name) ? t.required : t.optional}</span>
              </div>
              {property.description ?? inner.description ? <p className="text-xs text-slate-600">{property.description ?? inner.description}</p> : null}
              {nested && !resolve(property, components).name ? <SchemaView schema={property} components={components} t={t} depth={depth + 1} /> : null}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
