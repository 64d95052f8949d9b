import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { openApiDocument } from "@/lib/api/openapi";
import { consolePage } from "@/app/(console)/_page/console-page";
import { resolve, SchemaView, type JsonSchema, type SchemaCatalogue } from "./schema-view";

type Parameter = { name: string; in: string; required?: boolean; description?: string; schema: JsonSchema };
type Response = { $ref?: string; description?: string; content?: Record<string, { schema: JsonSchema }>; headers?: Record<string, { description?: string }> };
type Operation = {
  operationId: string;
  summary: string;
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { description?: string; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, Response>;
};
type Document = {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: SchemaCatalogue; responses: Record<string, Response> };
};

const METHOD_STYLE: Record<string, string> = { get: "bg-sky-100 text-sky-900", post: "bg-emerald-100 text-emerald-900", patch: "bg-amber-100 text-amber-900", delete: "bg-red-100 text-red-900" };

/** The published OpenAPI document, read by people: every operation with its parameters, body and answers, made from the same schemas the server validates with. */
export default consolePage("apikey.view", async function ApiReferencePage({ t }) {
  const document = openApiDocument() as unknown as Document;
  const text = t.apiReference;
  const components = document.components.schemas;
  const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })));
  return (
    <div className="space-y-5">
      <PageHeader title={text.title}>{`${document.info.title} ${document.info.version}`}</PageHeader>
      <Card>
        <div className="space-y-2 text-sm text-slate-700">
          <p>{text.intro}</p>
          <p>
            {text.authentication} <code className="font-mono text-xs break-all">Authorization: Bearer fo_…</code>
          </p>
          <p>{text.errors}</p>
          <p>
            <a className="font-medium text-indigo-700 underline" href="/api/v1/openapi.json" data-testid="openapi-download">
              {text.download}
            </a>
          </p>
        </div>
      </Card>
      <nav aria-label={text.operations}>
        <ul className="flex flex-wrap gap-2 text-xs">
          {operations.map(({ path, method, operation }) => (
            <li key={operation.operationId}>
              <a className="inline-block rounded bg-white px-2 py-1 font-mono ring-1 ring-slate-200 hover:bg-slate-50" href={`#${operation.operationId}`}>
                {method.toUpperCase()} {path}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {operations.map(({ path, method, operation }) => (
        <section key={operation.operationId} id={operation.operationId} className="scroll-mt-4 rounded-lg bg-white p-4 ring-1 ring-slate-200" data-testid={`operation-${operation.operationId}`}>
          <h2 className="flex flex-wrap items-center gap-2 text-sm font-semibold text-slate-900">
            <span className={`rounded px-1.5 py-0.5 font-mono text-xs ${METHOD_STYLE[method] ?? "bg-slate-100"}`}>{method.toUpperCase()}</span>
            <code className="font-mono break-all">/api/v1{path}</code>
          </h2>
          <p className="mt-1 text-sm text-slate-700">{operation.summary}</p>
          <p className="mt-1 text-xs text-slate-500">{operation.security?.length === 0 ? text.noKey : text.needsKey}</p>

          {operation.parameters?.length ? (
            <div className="mt-3">
              <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">{text.parameters}</h3>
              <SchemaView
                schema={{
                  type: "object",
                  properties: Object.fromEntries(operation.parameters.map((parameter) => [`${parameter.name} (${text.location[parameter.in as keyof typeof text.location] ?? parameter.in})`, { ...parameter.schema, description: parameter.description ?? parameter.schema.description }])),
                  required: operation.parameters.filter((parameter) => parameter.required).map((parameter) => `${parameter.name} (${text.location[parameter.in as keyof typeof text.location] ?? parameter.in})`),
                }}
                components={components}
                t={text}
              />
            </div>
          ) : null}

          {operation.requestBody ? (
            <div className="mt-3">
              <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">
                {text.body} <span className="font-mono normal-case">{Object.keys(operation.requestBody.content).join(", ")}</span>
              </h3>
              {operation.requestBody.description ? <p className="text-xs text-slate-600">{operation.requestBody.description}</p> : null}
              {Object.entries(operation.requestBody.content).slice(0, 1).map(([type, media]) => (
                <SchemaView key={type} schema={media.schema} components={components} t={text} />
              ))}
            </div>
          ) : null}

          <div className="mt-3">
            <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">{text.responses}</h3>
            <ul className="mt-1 space-y-2">
              {Object.entries(operation.responses).map(([status, given]) => {
                const response = given.$ref ? document.components.responses[given.$ref.split("/").at(-1)!]! : given;
                const schema = response.content?.["application/json"]?.schema;
                const isError = Number(status) >= 400;
                return (
                  <li key={status} className="text-sm">
                    <span className={`mr-2 rounded px-1.5 py-0.5 font-mono text-xs ${isError ? "bg-red-50 text-red-800" : "bg-emerald-50 text-emerald-800"}`}>{status}</span>
                    <span className="text-slate-700">{response.description}</span>
                    {response.headers ? <span className="ml-1 font-mono text-xs text-slate-500">{Object.keys(response.headers).join(", ")}</span> : null}
                    {schema && !isError ? (
                      <div className="mt-1">
                        <SchemaView schema={schema} components={components} t={text} />
                      </div>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          </div>
        </section>
      ))}
      <Card title={text.errorShape}>
        <SchemaView schema={resolve({ $ref: "#/components/schemas/Error" }, components).schema} components={components} t={text} />
      </Card>
    </div>
  );
});
